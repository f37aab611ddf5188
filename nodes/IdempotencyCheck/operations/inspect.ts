import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { describeRecord } from '../../../lib/idempotency/describeRecord';
import type { KeyRecord } from '../../../lib/store/IdempotencyStore';
import { configuredOutputs } from '../outputs';
import { type OpenStore, routeRecord } from './routeRecord';

export async function inspect(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	return await routeRecord<string, KeyRecord | undefined>(this, {
		outputs: configuredOutputs({ operation: 'inspect' }),
		execute: async (keys) => await (await store()).inspect(namespace, keys),
		route: (record) => ({
			output: 'Keys',
			idempotency: describeRecord(record, record ? record.state : 'absent'),
		}),
	});
}
