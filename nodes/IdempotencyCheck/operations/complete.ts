import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	NodeOperationError,
} from 'n8n-workflow';

import {
	completeInOrder,
	type OrderedCompleteOutcome,
	type OrderedCompleteRequest,
} from '../../../lib/idempotency/completeInOrder';
import { readKey } from '../../shared/readKey';
import { configuredOutputs } from '../outputs';
import { describeFenced, readToken } from './fencing';
import {
	type OrderingSettings,
	orderingConfigured,
	orderingOptions,
	readOrdering,
} from './ordering';
import { DAY_MS, type OpenStore, routeRecord } from './routeRecord';

const show = { show: { operation: ['complete'] } };

export const completeProperties: INodeProperties[] = [
	{
		displayName: 'Retention (Days)',
		name: 'retentionDays',
		type: 'number',
		typeOptions: { minValue: 0.001 },
		default: 7,
		description:
			'How long a completed key is remembered: later claims of it are Duplicate until then',
		displayOptions: show,
	},
	{
		displayName: 'Store Result',
		name: 'storeResult',
		type: 'boolean',
		default: false,
		description:
			'Whether to keep a small result (an ID, a status) that later Duplicate claims return',
		displayOptions: show,
	},
	{
		displayName: 'Result',
		name: 'result',
		type: 'json',
		default: '={{ { "status": "done" } }}',
		description: 'Small JSON value (an ID, a status), at most 64 KB',
		displayOptions: { show: { operation: ['complete'], storeResult: [true] } },
	},
	{
		displayName: 'Options',
		name: 'completeOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: show,
		options: orderingOptions('complete'),
	},
];

export async function complete(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	const retentionMs = (this.getNodeParameter('retentionDays', 0, 7) as number) * DAY_MS;
	const storeResult = this.getNodeParameter('storeResult', 0, false) as boolean;
	const readOptions = (itemIndex: number) =>
		this.getNodeParameter('completeOptions', itemIndex, {}) as OrderingSettings;
	const ordered = orderingConfigured(readOptions(0));

	return await routeRecord<
		OrderedCompleteRequest,
		OrderedCompleteOutcome & { token: string | undefined }
	>(this, {
		outputs: configuredOutputs({ operation: 'complete' }),
		prepare: (itemIndex) => ({
			key: readKey(this, itemIndex),
			token: readToken(this, itemIndex),
			result: storeResult ? parseResult(this, itemIndex) : undefined,
			ordering: ordered ? readOrdering(this, itemIndex, readOptions(itemIndex)) : undefined,
		}),
		execute: async (requests) =>
			(await completeInOrder(await store(), namespace, requests, { retentionMs })).map(
				(outcome, index) => ({ ...outcome, token: requests[index].token }),
			),
		route: (outcome) => ({
			output: outcome.status === 'lostClaim' ? 'Lost Claim' : 'Completed',
			idempotency: {
				...describeFenced(outcome.record, outcome.status, outcome.token),
				...(outcome.ordering
					? {
							ordering: {
								entity: outcome.ordering.entity,
								version: outcome.ordering.version,
								applied: outcome.ordering.applied,
								latestVersion: outcome.ordering.latest,
							},
						}
					: {}),
			},
		}),
	});
}

function parseResult(context: IExecuteFunctions, itemIndex: number): unknown {
	const value = context.getNodeParameter('result', itemIndex);
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch {
		throw new NodeOperationError(context.getNode(), 'Result is not valid JSON', { itemIndex });
	}
}
