import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { ReleaseOutcome, ReleaseRequest } from '../../../lib/store/IdempotencyStore';
import { readKey } from '../../shared/readKey';
import { configuredOutputs, type OutputName } from '../outputs';
import { readAttemptLimits } from './attempts';
import { describeFenced, readToken } from './fencing';
import { type OpenStore, routeRecord } from './routeRecord';

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
			idempotency: describeFenced(outcome.record, outcome.status, outcome.token),
		}),
	});
}
