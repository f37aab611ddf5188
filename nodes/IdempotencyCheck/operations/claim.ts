import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { describeRecord } from '../../../lib/idempotency/describeRecord';
import { parseFieldList, payloadFingerprint } from '../../../lib/idempotency/fingerprint';
import type { ClaimOutcome, ClaimRequest } from '../../../lib/store/IdempotencyStore';
import { runBatch } from '../../shared/runBatch';
import { type OpenStore, readKey } from './common';

const show = { show: { operation: ['claim'] } };

export const claimProperties: INodeProperties[] = [
	{
		displayName: 'Lease (Minutes)',
		name: 'leaseMinutes',
		type: 'number',
		typeOptions: { minValue: 0.01 },
		default: 5,
		description:
			"How long a claim protects the run that holds it. Longer than the slowest successful run; a crashed run's key is claimable again after it.",
		displayOptions: show,
	},
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
		],
	},
];

const OUTPUT = { claimed: 0, duplicate: 1, inProgress: 2, deadLetter: 3, mismatch: 4 } as const;

export async function claim(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const leaseMs = (this.getNodeParameter('leaseMinutes', 0, 5) as number) * 60_000;
	const options = this.getNodeParameter('claimOptions', 0, {}) as {
		fingerprintFields?: string;
		onMismatch?: string;
	};
	const fingerprintFields = parseFieldList(options.fingerprintFields ?? '');
	const mismatchToOutput =
		fingerprintFields.length > 0 && (options.onMismatch ?? 'output') === 'output';

	return await runBatch<ClaimRequest, ClaimOutcome>(this, {
		outputCount: mismatchToOutput ? 5 : 4,
		errorOutput: OUTPUT.deadLetter,
		prepare: (itemIndex) => ({
			key: readKey(this, itemIndex),
			fingerprint: fingerprintFields.length
				? payloadFingerprint(items[itemIndex].json, fingerprintFields)
				: undefined,
		}),
		execute: async (requests) => await (await store()).claim(namespace, requests, { leaseMs }),
		route: (outcome, itemIndex) => {
			if (outcome.status === 'mismatch' && !mismatchToOutput) {
				return {
					error: new Error(
						`Key "${outcome.key}" was claimed before with a different payload (fingerprint mismatch)`,
					),
				};
			}
			return {
				output: OUTPUT[outcome.status],
				json: {
					...items[itemIndex].json,
					idempotency: describeRecord(outcome.record, outcome.status),
				},
			};
		},
	});
}
