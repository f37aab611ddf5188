import type { INodeProperties } from 'n8n-workflow';

import { eventTypeProperty, onceOperation, readFilter, windowProperties } from '../common';

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
	eventTypeProperty(show),
];

/** Deletes the kept deliveries of a window before their retention ends; one item says how many. */
export const execute = onceOperation(
	async (context, store, namespace) => {
		const { from, to, eventType } = readFilter(context);
		return await store.inbox.purge(namespace, { from, to, eventType });
	},
	(purged, namespace) => [{ output: 'Purged', json: { namespace, purged } }],
);
