import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	NodeOperationError,
} from 'n8n-workflow';

import { StoreError } from '../../lib/store/IdempotencyStore';

/**
 * The one place where this package's execute nodes honour `continueOnFail` and `pairedItem`.
 * Items are prepared one by one (a bad item is a per-item error), sent to the store in one batch,
 * and each outcome is routed to an output.
 */
export interface BatchOperation<Request, Outcome> {
	outputCount: number;
	/** Reads one item's request; throws (any error) when the item cannot be processed. */
	prepare(itemIndex: number): Request;
	execute(requests: Request[]): Promise<Outcome[]>;
	/** Where the item goes, or an error for this item alone (continueOnFail decides what follows). */
	route(
		outcome: Outcome,
		itemIndex: number,
	): { output: number; json: IDataObject } | { error: Error };
}

export async function runBatch<Request, Outcome>(
	context: IExecuteFunctions,
	operation: BatchOperation<Request, Outcome>,
): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	const outputs: INodeExecutionData[][] = Array.from({ length: operation.outputCount }, () => []);
	const failed = (itemIndex: number, error: Error) => {
		if (!context.continueOnFail()) {
			throw new NodeOperationError(context.getNode(), error, {
				itemIndex,
				description: (error as { description?: string }).description,
			});
		}
		outputs[0].push({
			json: { ...items[itemIndex].json, error: error.message },
			pairedItem: { item: itemIndex },
		});
	};

	const prepared: Array<{ itemIndex: number; request: Request }> = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			prepared.push({ itemIndex, request: operation.prepare(itemIndex) });
		} catch (error) {
			failed(itemIndex, asItemError(error));
		}
	}
	if (prepared.length === 0) return outputs;

	let outcomes: Outcome[];
	try {
		outcomes = await operation.execute(prepared.map(({ request }) => request));
	} catch (error) {
		const storeFailure = asStoreFailure(error);
		if (!context.continueOnFail())
			throw new NodeOperationError(context.getNode(), storeFailure, {
				description: storeFailure.description,
			});
		for (const { itemIndex } of prepared) failed(itemIndex, storeFailure);
		return outputs;
	}

	outcomes.forEach((outcome, position) => {
		const { itemIndex } = prepared[position];
		const routed = operation.route(outcome, itemIndex);
		if ('error' in routed) return failed(itemIndex, routed.error);
		const item: INodeExecutionData = { json: routed.json, pairedItem: { item: itemIndex } };
		if (items[itemIndex].binary) item.binary = items[itemIndex].binary;
		outputs[routed.output].push(item);
	});
	return outputs;
}

function asItemError(error: unknown): Error {
	return error instanceof Error ? error : new Error(String(error));
}

/** A store that cannot answer is a hard stop: an idempotency check that fails open double-charges. */
function asStoreFailure(error: unknown): Error & { description?: string } {
	if (error instanceof StoreError) {
		const failure: Error & { description?: string } = new Error(`Store failed: ${error.message}`);
		failure.description =
			error.reason === 'unreachable'
				? 'Check that the store server is running and that the credential (host, port, TLS) is right. No item was let through.'
				: 'No item was let through.';
		return failure;
	}
	return asItemError(error);
}
