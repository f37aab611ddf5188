import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { describeRecord } from '../../../lib/idempotency/describeRecord';
import { parseFieldList, payloadFingerprint } from '../../../lib/idempotency/fingerprint';
import type {
	ClaimOutcome,
	ClaimRequest,
	IdempotencyStore,
	VersionRequest,
} from '../../../lib/store/IdempotencyStore';
import { runBatch } from '../../shared/runBatch';
import { type OpenStore, readKey } from './common';
import {
	type OrderingSettings,
	orderingConfigured,
	orderingOptions,
	readOrdering,
} from './ordering';

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
			...orderingOptions('claim'),
		],
	},
];

const OUTPUT = { claimed: 0, duplicate: 1, inProgress: 2, deadLetter: 3, mismatch: 4 } as const;

type ClaimItemRequest = ClaimRequest & { ordering?: VersionRequest };

/** An item older than its entity's newest completed version: not claimed. */
interface StaleOutcome {
	status: 'stale';
	key: string;
	ordering: VersionRequest;
	latest: number;
}

export async function claim(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const leaseMs = (this.getNodeParameter('leaseMinutes', 0, 5) as number) * 60_000;
	type Options = OrderingSettings & { fingerprintFields?: string; onMismatch?: string };
	const options = this.getNodeParameter('claimOptions', 0, {}) as Options;
	const fingerprintFields = parseFieldList(options.fingerprintFields ?? '');
	const mismatchToOutput =
		fingerprintFields.length > 0 && (options.onMismatch ?? 'output') === 'output';
	const ordered = orderingConfigured(options);
	// Stale comes after Dead Letter and Mismatch, as configuredOutputs names them.
	const staleOutput = mismatchToOutput ? 5 : 4;

	return await runBatch<ClaimItemRequest, ClaimOutcome | StaleOutcome>(this, {
		outputCount: staleOutput + (ordered ? 1 : 0),
		errorOutput: OUTPUT.deadLetter,
		prepare: (itemIndex) => ({
			key: readKey(this, itemIndex),
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
		execute: async (requests) => await claimInOrder(await store(), namespace, requests, leaseMs),
		route: (outcome, itemIndex) => {
			if (outcome.status === 'stale') {
				return {
					output: staleOutput,
					json: {
						...items[itemIndex].json,
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

/**
 * With the ordering guard: one read of the entities' newest completed versions, then one claim
 * of the items that are not older than theirs. Answers one outcome per request, in order.
 */
async function claimInOrder(
	store: IdempotencyStore,
	namespace: string,
	requests: ClaimItemRequest[],
	leaseMs: number,
): Promise<Array<ClaimOutcome | StaleOutcome>> {
	const guarded = requests.filter((request) => request.ordering !== undefined);
	const latest = new Map<string, number | undefined>();
	if (guarded.length > 0) {
		const entities = [...new Set(guarded.map((request) => request.ordering!.entity))];
		const versions = await store.readVersions(namespace, entities);
		entities.forEach((entity, index) => latest.set(entity, versions[index]));
	}
	const staleness = requests.map((request) => {
		if (!request.ordering) return undefined;
		const newest = latest.get(request.ordering.entity);
		return newest !== undefined && request.ordering.version < newest ? newest : undefined;
	});
	const claimable = requests.filter((_, index) => staleness[index] === undefined);
	const claimed = await store.claim(
		namespace,
		claimable.map(({ key, fingerprint }) => ({ key, fingerprint })),
		{ leaseMs },
	);
	let next = 0;
	return requests.map((request, index) => {
		const newest = staleness[index];
		if (newest === undefined) return claimed[next++];
		return { status: 'stale', key: request.key, ordering: request.ordering!, latest: newest };
	});
}
