import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import {
	claimInOrder,
	type OrderedClaimRequest,
	type StaleOutcome,
} from '../../../lib/idempotency/claimInOrder';
import { describeRecord } from '../../../lib/idempotency/describeRecord';
import { payloadFingerprint } from '../../../lib/idempotency/fingerprint';
import type { ClaimOutcome, ClaimStatus } from '../../../lib/store/IdempotencyStore';
import { parseList } from '../../../lib/text/parseList';
import { leaseProperty, readLeaseMs } from '../../shared/lease';
import { readKey } from '../../shared/readKey';
import { configuredOutputs, type OutputName } from '../outputs';
import { type OrderingSettings, orderingOptions, readOrdering } from './ordering';
import { readAttemptLimits } from './attempts';
import { readToken } from './fencing';
import { type OpenStore, routeRecord } from './routeRecord';

const show = { show: { operation: ['claim'] } };

export const claimProperties: INodeProperties[] = [
	leaseProperty(
		"How long a claim protects the run that holds it. Longer than the slowest successful run; a crashed run's key is claimable again after it.",
		show,
	),
	{
		displayName: 'Options',
		name: 'claimOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: show,
		options: [
			{
				displayName: 'Payload Fingerprint Fields',
				name: 'fingerprintFields',
				type: 'string',
				default: '',
				placeholder: 'amount, currency, customer.email',
				description:
					'Fields whose hash must match for the same key. A retry with other values under the same key is a Mismatch (a bug or a reused key), not a duplicate.',
			},
			{
				displayName: 'On Mismatch',
				name: 'onMismatch',
				type: 'options',
				options: [
					{ name: 'Send to Mismatch Output', value: 'output' },
					{ name: 'Fail the Item', value: 'error' },
				],
				default: 'output',
			},
			...orderingOptions('claim'),
		],
	},
];

const OUTPUT: Record<ClaimStatus | StaleOutcome['status'], OutputName> = {
	claimed: 'New',
	duplicate: 'Duplicate',
	inProgress: 'In Progress',
	deadLetter: 'Dead Letter',
	mismatch: 'Mismatch',
	stale: 'Stale',
};

type Options = OrderingSettings & { fingerprintFields?: string; onMismatch?: string };

export async function claim(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const claimOptions = { leaseMs: readLeaseMs(this), ...readAttemptLimits(this) };
	const options = this.getNodeParameter('claimOptions', 0, {}) as Options;
	const fingerprintFields = parseList(options.fingerprintFields ?? '', /[,\n]/);
	const shown = configuredOutputs({ operation: 'claim', claimOptions: options });
	const has = (name: OutputName) => shown.some((output) => output.displayName === name);
	const [mismatchToOutput, ordered] = [has('Mismatch'), has('Stale')];

	return await routeRecord<OrderedClaimRequest, ClaimOutcome | StaleOutcome>(this, {
		outputs: shown,
		errorOutput: 'Dead Letter',
		prepare: (itemIndex) => ({
			key: readKey(this, itemIndex),
			token: readToken(this, itemIndex),
			fingerprint: fingerprintFields.length
				? payloadFingerprint(items[itemIndex].json, fingerprintFields)
				: undefined,
			ordering: ordered
				? readOrdering(
						this,
						itemIndex,
						this.getNodeParameter('claimOptions', itemIndex, {}) as Options,
					)
				: undefined,
		}),
		execute: async (requests) =>
			await claimInOrder(await store(), namespace, requests, claimOptions),
		route: (outcome) => {
			if (outcome.status === 'stale') {
				return {
					output: OUTPUT.stale,
					idempotency: {
						status: 'stale',
						key: outcome.key,
						namespace,
						ordering: {
							entity: outcome.ordering.entity,
							version: outcome.ordering.version,
							latestVersion: outcome.latest,
						},
					},
				};
			}
			if (outcome.status === 'mismatch' && !mismatchToOutput) {
				return {
					error: new Error(
						`Key "${outcome.key}" was claimed before with a different payload (fingerprint mismatch)`,
					),
				};
			}
			// Only the item that won the claim carries its token; the others hold nothing.
			const token = outcome.status === 'claimed' ? outcome.record.token : undefined;
			return {
				output: OUTPUT[outcome.status],
				idempotency: describeRecord(outcome.record, outcome.status, token),
			};
		},
	});
}
