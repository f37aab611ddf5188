import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { describeRecord } from '../../../lib/idempotency/describeRecord';
import type { KeyRecord } from '../../../lib/store/IdempotencyStore';
import { runBatch } from '../../shared/runBatch';
import { type OpenStore, readKey } from './common';

export async function inspect(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	return await runBatch<string, KeyRecord | undefined>(this, {
		outputCount: 1,
		prepare: (itemIndex) => readKey(this, itemIndex),
		execute: async (keys) => await (await store()).inspect(namespace, keys),
		route: (record, itemIndex) => ({
			output: 0,
			json: {
				...items[itemIndex].json,
				idempotency: describeRecord(record, record ? record.state : 'absent'),
			},
		}),
	});
}

export async function forget(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	return await runBatch<string, KeyRecord | undefined>(this, {
		outputCount: 1,
		prepare: (itemIndex) => readKey(this, itemIndex),
		execute: async (keys) => {
			const opened = await store();
			const before = await opened.inspect(namespace, keys);
			await opened.forget(namespace, keys);
			return before;
		},
		route: (record, itemIndex) => ({
			output: 0,
			json: {
				...items[itemIndex].json,
				idempotency: { status: record ? 'forgotten' : 'absent', key: readKey(this, itemIndex) },
			},
		}),
	});
}
