import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { parseTimeWindow } from '../../../../lib/inbox/timeWindow';
import { limitProperty, type OpenStore, readLimit, runOnce, windowProperties } from '../common';

const show = { show: { resource: ['rejectedDelivery'], operation: ['list'] } };

export const properties: INodeProperties[] = [...windowProperties(show), limitProperty(show)];

/**
 * Requests the trigger refused (bad signature, too old, too large, ...), newest first: why a
 * provider sees 401s. Headers are redacted and only the first 2 KB of each body is kept.
 */
export async function execute(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	return await runOnce(
		this,
		async () => {
			const { from, to } = parseTimeWindow(
				this.getNodeParameter('from', 0, ''),
				this.getNodeParameter('to', 0, ''),
			);
			return await (
				await store()
			).inbox.rejections(namespace, {
				from,
				to,
				limit: readLimit(this),
			});
		},
		(rejections) =>
			rejections.map((rejection) => ({
				output: 'Rejected' as const,
				json: { ...rejection, at: new Date(rejection.at).toISOString() },
			})),
	);
}
