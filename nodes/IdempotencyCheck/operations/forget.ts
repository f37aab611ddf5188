import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { configuredOutputs } from '../outputs';
import { type OpenStore, routeRecord } from './routeRecord';

/** Deletes the keys; each item says whether its key was there to forget. */
export async function forget(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	return await routeRecord<string, { key: string; found: boolean }>(this, {
		outputs: configuredOutputs({ operation: 'forget' }),
		execute: async (keys) => {
			const opened = await store();
			const before = await opened.inspect(namespace, keys);
			await opened.forget(namespace, keys);
			return keys.map((key, index) => ({ key, found: before[index] !== undefined }));
		},
		route: ({ key, found }) => ({
			output: 'Keys',
			idempotency: { status: found ? 'forgotten' : 'absent', key },
		}),
	});
}
