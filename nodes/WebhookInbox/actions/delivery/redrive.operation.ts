import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { redrive } from '../../../../lib/inbox/redrive';
import {
	claimedItem,
	claimProperties,
	filterProperties,
	maxEventsProperty,
	now,
	type OpenStore,
	readClaimOptions,
	readFilter,
	readMaxEvents,
	runOnce,
	windowProperties,
} from '../common';

const show = { show: { resource: ['delivery'], operation: ['redrive'] } };
const DEFAULT_LIMIT = 10_000;

export const properties: INodeProperties[] = [
	...windowProperties(show),
	...filterProperties(
		show,
		['notClaimed', 'stuck', 'released', 'inProgress'],
		'Only events in one of these states. Empty: every event not completed and not dead-lettered. An event a run holds is skipped unless its lease ran out.',
	),
	...claimProperties('redrive'),
	maxEventsProperty(show, DEFAULT_LIMIT, 'Events redriven per run at most'),
];

/**
 * Sends a window of kept deliveries back into processing after a fix: each event not completed and
 * not dead-lettered is claimed and leaves through Redriven, shaped like the trigger's items. A
 * sender's late retry racing the redrive meets the same claim: the event runs once.
 */
export async function execute(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	return await runOnce(
		this,
		async () =>
			await redrive(await store(), namespace, readFilter(this), {
				limit: readMaxEvents(this, DEFAULT_LIMIT),
				claim: readClaimOptions(this),
				now,
			}),
		({ redriven, skipped }) => [
			...redriven.map((claim) => ({ output: 'Redriven' as const, json: claimedItem(claim) })),
			...skipped.map(({ entry, reason }) => ({
				output: 'Skipped' as const,
				json: {
					eventId: entry.eventId,
					eventType: entry.eventType,
					receivedAt: new Date(entry.receivedAt).toISOString(),
					reason,
				},
			})),
		],
	);
}
