import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { describeRecord } from '../../../lib/idempotency/describeRecord';
import type { ReleaseOutcome } from '../../../lib/store/IdempotencyStore';
import { configuredOutputs } from '../outputs';
import { DAY_MS, type OpenStore, routeRecord } from './routeRecord';

const show = { show: { operation: ['release'] } };

export const releaseProperties: INodeProperties[] = [
	{
		displayName: 'Max Attempts',
		name: 'maxAttempts',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 3,
		description:
			'A key released after this many claims goes to the Dead Letter output and later claims report it dead-lettered instead of New',
		displayOptions: show,
	},
	{
		displayName: 'Dead Letter Retention (Days)',
		name: 'deadLetterRetentionDays',
		type: 'number',
		typeOptions: { minValue: 0.001 },
		default: 30,
		description: 'How long released and dead-lettered keys keep their attempt count',
		displayOptions: show,
	},
];

export async function release(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	const maxAttempts = this.getNodeParameter('maxAttempts', 0, 3) as number;
	const deadLetterRetentionMs =
		(this.getNodeParameter('deadLetterRetentionDays', 0, 30) as number) * DAY_MS;

	return await routeRecord<string, ReleaseOutcome>(this, {
		outputs: configuredOutputs({ operation: 'release' }),
		execute: async (keys) =>
			await (await store()).release(namespace, keys, { maxAttempts, deadLetterRetentionMs }),
		route: (outcome) => ({
			output: outcome.status === 'deadLettered' ? 'Dead Letter' : 'Released',
			idempotency: describeRecord(outcome.record, outcome.status),
		}),
	});
}
