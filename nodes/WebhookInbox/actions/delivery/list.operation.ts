import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { listEntries } from '../../../../lib/inbox/listEntries';
import {
	describeEntry,
	filterProperties,
	limitProperty,
	now,
	type OpenStore,
	readFilter,
	readLimit,
	runOnce,
	windowProperties,
} from '../common';

const show = { show: { resource: ['delivery'], operation: ['list'] } };

export const properties: INodeProperties[] = [
	...windowProperties(show),
	...filterProperties(show),
	limitProperty(show),
];

/** The kept deliveries the filters pick, oldest first, each with its event's state. */
export async function execute(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	return await runOnce(
		this,
		async () =>
			await listEntries(await store(), namespace, readFilter(this), {
				limit: readLimit(this),
				now,
			}),
		(found) =>
			found.map((joined) => ({ output: 'Deliveries' as const, json: describeEntry(joined) })),
	);
}
