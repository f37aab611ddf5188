import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { IdempotencyStore } from '../../../lib/store/IdempotencyStore';
import { outputsByName } from '../../shared/outputIndex';
import { readKey } from '../../shared/readKey';
import { runBatch } from '../../shared/runBatch';
import type { configuredOutputs, OutputName } from '../outputs';

/** The node's store, opened once the batch reaches it (see the node's execute). */
export type OpenStore = () => Promise<IdempotencyStore>;

export const DAY_MS = 86_400_000;

export interface RecordOperation<Request, Outcome> {
	/** The outputs the editor shows for the node's parameters: what `configuredOutputs` answers. */
	outputs: ReturnType<typeof configuredOutputs>;
	/** Where an item that could not be checked goes with Continue On Fail (default: the first). */
	errorOutput?: OutputName;
	/** One item's request; default its key. */
	prepare?(itemIndex: number): Request;
	execute(requests: Request[]): Promise<Outcome[]>;
	/** The output, by name, and the item's `idempotency` field; or an error for this item alone. */
	route(outcome: Outcome): { output: OutputName; idempotency: IDataObject } | { error: Error };
}

/**
 * Every Idempotency Check operation: each item's key (or request) to the store in one batch, then
 * each item out on the output its outcome names, its JSON kept, what the store said of its key
 * under `idempotency`.
 */
export async function routeRecord<Request, Outcome>(
	context: IExecuteFunctions,
	operation: RecordOperation<Request, Outcome>,
): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	const outputs = outputsByName(operation.outputs);
	const prepare =
		operation.prepare ?? ((itemIndex: number) => readKey(context, itemIndex) as Request);
	return await runBatch<Request, Outcome>(context, {
		outputCount: outputs.count,
		errorOutput: operation.errorOutput && outputs.index(operation.errorOutput),
		prepare,
		execute: operation.execute,
		route: (outcome, itemIndex) => {
			const routed = operation.route(outcome);
			if ('error' in routed) return routed;
			return {
				output: outputs.index(routed.output),
				json: { ...items[itemIndex].json, idempotency: routed.idempotency },
			};
		},
	});
}
