import type { IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';

/** A parameter whose value differs per item, as an expression like `={{ $json.id }}` does. */
export type PerItem = (item: INodeExecutionData, itemIndex: number) => unknown;

export interface FakeExecuteContextOptions {
	items: INodeExecutionData[];
	/** Node parameters; a function is evaluated per item. Absent ones answer the caller's fallback. */
	parameters: Record<string, unknown>;
	continueOnFail?: boolean;
	node?: Partial<INode>;
}

/**
 * The part of `IExecuteFunctions` this package's execute nodes use: input items, parameters per
 * item, the node and continueOnFail. Anything else a node calls is missing on purpose, so the test
 * fails loudly instead of running against a stand-in.
 */
export function fakeExecuteContext(options: FakeExecuteContextOptions): IExecuteFunctions {
	const node: INode = {
		id: 'idempotency-check-under-test',
		name: 'Idempotency Check',
		type: 'n8n-nodes-hybrid-sync.idempotencyCheck',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		...options.node,
	};
	const context: Pick<IExecuteFunctions, 'getInputData' | 'getNode' | 'continueOnFail'> & {
		getNodeParameter(name: string, itemIndex: number, fallback?: unknown): unknown;
	} = {
		getInputData: () => options.items,
		getNode: () => node,
		continueOnFail: () => options.continueOnFail ?? false,
		getNodeParameter(name, itemIndex, ...fallback) {
			if (!(name in options.parameters)) {
				// n8n throws too when a parameter is missing and the caller gave no fallback.
				if (fallback.length === 0) throw new Error(`Could not get parameter "${name}"`);
				return fallback[0];
			}
			const value = options.parameters[name];
			return typeof value === 'function'
				? (value as PerItem)(options.items[itemIndex], itemIndex)
				: value;
		},
	};
	// n8n's getNodeParameter is a set of overloads keyed by parameter name; the one signature above
	// answers all of them the way the real one does at runtime.
	return context as unknown as IExecuteFunctions;
}
