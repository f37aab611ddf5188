import type { INodeProperties } from 'n8n-workflow';

import { parseTimeWindow } from '../../../../lib/inbox/timeWindow';
import { limitProperty, onceOperation, readLimit, windowProperties } from '../common';

const show = { show: { resource: ['rejectedDelivery'], operation: ['list'] } };

export const properties: INodeProperties[] = [...windowProperties(show), limitProperty(show)];

/**
 * Requests the trigger refused (bad signature, too old, too large, ...), newest first: why a
 * provider sees 401s. Headers are redacted and only the first 2 KB of each body is kept.
 */
export const execute = onceOperation(
	async (context, store, namespace) => {
		const { from, to } = parseTimeWindow(
			context.getNodeParameter('from', 0, ''),
			context.getNodeParameter('to', 0, ''),
		);
		return await store.inbox.rejections(namespace, { from, to, limit: readLimit(context) });
	},
	(rejections) =>
		rejections.map((rejection) => ({
			output: 'Rejected' as const,
			json: { ...rejection, at: new Date(rejection.at).toISOString() },
		})),
);
