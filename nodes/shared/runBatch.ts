import {
	type IBinaryKeyData,
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
	/**
	 * Where a failed item goes when the node continues on fail (default: the first output). Never
	 * an output that leads to the business step: an item that was not checked must not be processed.
	 */
	errorOutput?: number;
	/**
	 * Reads one item's request; throws (any error) when the item cannot be processed, or answers
	 * null for an item that is no request at all (it leaves through no output).
	 */
	prepare(itemIndex: number): Request | null;
	execute(requests: Request[]): Promise<Outcome[]>;
	/**
	 * Where the item goes, or an error for this item alone (continueOnFail decides what follows).
	 * An outcome may also become several items (a sweep's input item yields what it recovered), or
	 * none; an item given its own `binary` carries that instead of the input item's.
	 */
	route(outcome: Outcome, itemIndex: number): Routed | Routed[] | { error: Error };
}

export interface Routed {
	output: number;
	json: IDataObject;
	binary?: IBinaryKeyData;
}

export async function runBatch<Request, Outcome>(
	context: IExecuteFunctions,
	operation: BatchOperation<Request, Outcome>,
): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	const outputs: INodeExecutionData[][] = Array.from({ length: operation.outputCount }, () => []);
	const emit = (
		output: number,
		itemIndex: number,
		item: Pick<INodeExecutionData, 'json' | 'error' | 'binary'>,
	) => {
		const binary = item.binary ?? items[itemIndex].binary;
		outputs[output].push({
			...item,
			...(binary ? { binary } : {}),
			pairedItem: { item: itemIndex },
		});
	};
	const failed = (itemIndex: number, error: Error & { description?: string }) => {
		const nodeError = toNodeError(context, error, itemIndex);
		if (!context.continueOnFail()) throw nodeError;
		// `error` on the item is what n8n's "Continue (using error output)" looks for to move it there.
		emit(operation.errorOutput ?? 0, itemIndex, {
			json: { ...items[itemIndex].json, error: error.message },
			error: nodeError,
		});
	};

	const prepared: Array<{ itemIndex: number; request: Request }> = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const request = operation.prepare(itemIndex);
			if (request !== null) prepared.push({ itemIndex, request });
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
		if (!context.continueOnFail()) throw toNodeError(context, storeFailure);
		for (const { itemIndex } of prepared) failed(itemIndex, storeFailure);
		return outputs;
	}

	outcomes.forEach((outcome, position) => {
		const { itemIndex } = prepared[position];
		const routed = operation.route(outcome, itemIndex);
		if ('error' in routed) return failed(itemIndex, routed.error);
		for (const { output, json, binary } of Array.isArray(routed) ? routed : [routed]) {
			emit(output, itemIndex, { json, ...(binary ? { binary } : {}) });
		}
	});
	return outputs;
}

function toNodeError(
	context: IExecuteFunctions,
	error: Error & { description?: string },
	itemIndex?: number,
): NodeOperationError {
	const nodeError = new NodeOperationError(context.getNode(), error, {
		itemIndex,
		description: error.description,
	});
	// n8n swaps a message that mentions an errno code (EEXIST, ECONNREFUSED, ...) for a generic
	// line; which store, which file or host, is what the user needs to fix it.
	nodeError.message = error.message;
	return nodeError;
}

function asItemError(error: unknown): Error {
	return error instanceof Error ? error : new Error(String(error));
}

/** A store that cannot answer lets no item through: an idempotency check that fails open double-charges. */
function asStoreFailure(error: unknown): Error & { description?: string } {
	if (error instanceof StoreError) {
		const failure: Error & { description?: string } = new Error(`Store failed: ${error.message}`);
		failure.description =
			error.reason === 'unreachable'
				? 'Check that the store can be reached: for the embedded store, that n8n can create and write its file (HYBRID_SYNC_STORE_PATH, or .n8n/hybrid-sync in the n8n user folder); for Redis or PostgreSQL, that the server is running and the credential (host, port, TLS) is right. No item was let through.'
				: 'No item was let through.';
		return failure;
	}
	return asItemError(error);
}
