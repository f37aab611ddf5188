import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { collectStats } from '../../../../lib/inbox/collectStats';
import { parseList } from '../../../../lib/text/parseList';
import { now, type OpenStore, runOnce } from '../common';

const show = { show: { resource: ['health'], operation: ['getStats'] } };

export const properties: INodeProperties[] = [
	{
		displayName: 'Poll Cursor Keys',
		name: 'cursorKeys',
		type: 'string',
		default: '',
		placeholder: 'workflowId:nodeId:',
		description:
			'Cursors of Cursor Poll Triggers on the same store whose lag to report (from the newest record they committed to now), separated by commas. Empty: none.',
		hint: "A trigger's cursor key is its workflow ID, its node ID and its Cursor Generation option joined by colons, e.g. 4xYz1:9f2c-...:  (empty generation: ends with a colon)",
		displayOptions: show,
	},
];

/**
 * One item for an IF node or a chart: the webhook's events by state, stuck claims, the oldest
 * claim in progress, releases and crashes, deliveries accepted, repeated and rejected, the last
 * sweep's recovery rate and the embedded store's evictions.
 */
export async function execute(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	return await runOnce(
		this,
		async () =>
			await collectStats(await store(), namespace, {
				cursorKeys: parseList(this.getNodeParameter('cursorKeys', 0, '') as string, ','),
				now,
			}),
		(stats) => [{ output: 'Stats', json: stats }],
	);
}
