import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	NodeOperationError,
} from 'n8n-workflow';

import { describeRecord } from '../../../lib/idempotency/describeRecord';
import type { CompleteOutcome, CompleteRequest } from '../../../lib/store/IdempotencyStore';
import { runBatch } from '../../shared/runBatch';
import { DAY_MS, type OpenStore, readKey } from './common';

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
		description: 'Small JSON value, at most 64 KB',
		displayOptions: { show: { operation: ['complete'], storeResult: [true] } },
	},
];

export async function complete(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const retentionMs = (this.getNodeParameter('retentionDays', 0, 7) as number) * DAY_MS;
	const storeResult = this.getNodeParameter('storeResult', 0, false) as boolean;

	return await runBatch<CompleteRequest, CompleteOutcome>(this, {
		outputCount: 1,
		prepare: (itemIndex) => ({
			key: readKey(this, itemIndex),
			result: storeResult ? parseResult(this, itemIndex) : undefined,
		}),
		execute: async (requests) =>
			await (await store()).complete(namespace, requests, { retentionMs }),
		route: (outcome, itemIndex) => ({
			output: 0,
			json: {
				...items[itemIndex].json,
				idempotency: describeRecord(outcome.record, outcome.status),
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
