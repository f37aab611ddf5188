import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { describeRecord } from '../../../lib/idempotency/describeRecord';
import type { ReleaseOutcome, ReleaseRequest } from '../../../lib/store/IdempotencyStore';
import { readKey } from '../../shared/readKey';
import { configuredOutputs, type OutputName } from '../outputs';
import { LOST_CLAIM_MESSAGE, readToken } from './fencing';
import { DAY_MS, type OpenStore, routeRecord } from './routeRecord';

/** Claim and Release share these: a lost run (crash) and a failed run (release) count alike. */
const show = { show: { operation: ['claim', 'release'] } };

export const attemptProperties: INodeProperties[] = [
	{
		displayName: 'Max Attempts',
		name: 'maxAttempts',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 3,
		description:
			'Claims a key may use. Release after this many claims, or a Claim taking over a crashed run (lease ran out) after this many, moves the key to Dead Letter; later claims report it there instead of New. Use the same value on Claim and Release.',
		displayOptions: show,
	},
	{
		displayName: 'Dead Letter Retention (Days)',
		name: 'deadLetterRetentionDays',
		type: 'number',
		typeOptions: { minValue: 0.001 },
		default: 30,
		description:
			'How long released and dead-lettered keys, and claims whose lease ran out, keep their attempt count',
		displayOptions: show,
	},
];

/** Max Attempts and Dead Letter Retention as the store takes them. */
export const readAttemptLimits = (context: IExecuteFunctions) => ({
	maxAttempts: context.getNodeParameter('maxAttempts', 0, 3) as number,
	deadLetterRetentionMs:
		(context.getNodeParameter('deadLetterRetentionDays', 0, 30) as number) * DAY_MS,
});

const OUTPUT: Record<ReleaseOutcome['status'], OutputName> = {
	released: 'Released',
	notClaimed: 'Released',
	deadLettered: 'Dead Letter',
	lostClaim: 'Lost Claim',
};

export async function release(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	const limits = readAttemptLimits(this);

	return await routeRecord<ReleaseRequest, ReleaseOutcome & { token: string | undefined }>(this, {
		outputs: configuredOutputs({ operation: 'release' }),
		prepare: (itemIndex) => ({ key: readKey(this, itemIndex), token: readToken(this, itemIndex) }),
		execute: async (requests) =>
			(await (await store()).release(namespace, requests, limits)).map((outcome, index) => ({
				...outcome,
				token: requests[index].token,
			})),
		route: (outcome) => ({
			output: OUTPUT[outcome.status],
			idempotency: {
				...describeRecord(outcome.record, outcome.status, outcome.token),
				...(outcome.status === 'lostClaim' ? { message: LOST_CLAIM_MESSAGE } : {}),
			},
		}),
	});
}
