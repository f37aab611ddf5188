import type { INodeProperties } from 'n8n-workflow';

import { listEntries } from '../../../../lib/inbox/listEntries';
import {
	describeEntry,
	filterProperties,
	limitProperty,
	now,
	readFilter,
	readLimit,
	onceOperation,
	windowProperties,
} from '../common';

const show = { show: { resource: ['delivery'], operation: ['list'] } };

export const properties: INodeProperties[] = [
	...windowProperties(show),
	...filterProperties(show),
	limitProperty(show),
];

/** The kept deliveries the filters pick, oldest first, each with its event's state. */
export const execute = onceOperation(
	async (context, store, namespace) =>
		await listEntries(store, namespace, readFilter(context), { limit: readLimit(context), now }),
	(found) =>
		found.map((joined) => ({ output: 'Deliveries' as const, json: describeEntry(joined) })),
);
