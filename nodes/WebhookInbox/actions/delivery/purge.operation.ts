import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { type OpenStore, readFilter, runOnce, windowProperties } from '../common';

const show = { show: { resource: ['delivery'], operation: ['purge'] } };

export const properties: INodeProperties[] = [
	{
		displayName:
			'Purged deliveries are gone with their raw bytes: they can no longer be recovered, redriven or shown. Their events keep their state (completed, dead letter) in the store.',
		name: 'purgeNotice',
		type: 'notice',
		default: '',
		displayOptions: show,
	},
	...windowProperties(show),
	{
		displayName: 'Event Type',
		name: 'eventType',
		type: 'string',
		default: '',
		placeholder: 'payment_intent.succeeded',
		description: 'Only deliveries of this event type. Empty: every type.',
		displayOptions: show,
	},
];

/** Deletes the kept deliveries of a window before their retention ends; one item says how many. */
export async function execute(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	return await runOnce(
		this,
		async () => {
			const { from, to, eventType } = readFilter(this);
			return await (await store()).inbox.purge(namespace, { from, to, eventType });
		},
		(purged) => [{ output: 'Purged', json: { namespace, purged } }],
	);
}
