import get from 'lodash/get';
import type { IExecuteFunctions, INode, INodeExecutionData, LogMetadata } from 'n8n-workflow';

/** A parameter whose value differs per item, as an expression like `={{ $json.id }}` does. */
export type PerItem = (item: INodeExecutionData, itemIndex: number) => unknown;

export interface FakeExecuteContextOptions {
	items: INodeExecutionData[];
	/** The second input's items, for nodes with two inputs; absent means that input has no data. */
	secondInput?: INodeExecutionData[];
	/** Node parameters; a function is evaluated per item. Absent ones answer the caller's fallback. */
	parameters: Record<string, unknown>;
	continueOnFail?: boolean;
	node?: Partial<INode>;
	/** Receives what the node logs through n8n's logger. */
	logs?: Array<{ level: string; message: string; metadata?: LogMetadata }>;
}

/**
 * The part of `IExecuteFunctions` this package's execute nodes use: input items (one or two
 * inputs), parameters per item (dotted names reach into collections, as in n8n), the node,
 * continueOnFail and the logger. Anything else a node calls is missing on purpose, so the test
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
	const log =
		(level: string) =>
		(message: string, metadata?: LogMetadata): void => {
			options.logs?.push({ level, message, metadata });
		};
	const context: Pick<IExecuteFunctions, 'getNode' | 'continueOnFail'> & {
		getInputData(inputIndex?: number): INodeExecutionData[];
		getNodeParameter(name: string, itemIndex: number, fallback?: unknown): unknown;
		logger: Record<'error' | 'warn' | 'info' | 'debug', ReturnType<typeof log>>;
	} = {
		getInputData(inputIndex = 0) {
			if (inputIndex === 0) return options.items;
			// n8n throws too when an input has no data.
			if (inputIndex === 1 && options.secondInput) return options.secondInput;
			throw new Error(`Could not get input with given index "${inputIndex}"`);
		},
		getNode: () => node,
		continueOnFail: () => options.continueOnFail ?? false,
		logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') },
		getNodeParameter(name, itemIndex, ...fallback) {
			const value =
				name in options.parameters ? options.parameters[name] : get(options.parameters, name);
			if (value === undefined) {
				// n8n throws too when a parameter is missing and the caller gave no fallback.
				if (fallback.length === 0) throw new Error(`Could not get parameter "${name}"`);
				return fallback[0];
			}
			return typeof value === 'function'
				? (value as PerItem)(options.items[itemIndex], itemIndex)
				: value;
		},
	};
	// n8n's getNodeParameter is a set of overloads keyed by parameter name; the one signature above
	// answers all of them the way the real one does at runtime.
	return context as unknown as IExecuteFunctions;
}
