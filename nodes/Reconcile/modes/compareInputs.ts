import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	NodeOperationError,
} from 'n8n-workflow';

import {
	compareInputs,
	type CompareInputsOptions,
	type KeyPair,
} from '../../../lib/reconcile/compareInputs';
import { describeDifference } from '../../../lib/reconcile/describeDifference';
import { ReconcileError } from '../../../lib/reconcile/ReconcileError';
import { parseList } from '../../../lib/text/parseList';
import { outputsByName } from '../../shared/outputIndex';
import { configuredOutputs } from '../Reconcile.description';

const RESOLVE = {
	includeBoth: 'includeBoth',
	preferInput1: 'preferA',
	preferInput2: 'preferB',
	mix: 'mix',
} as const;

interface Options {
	skipFields?: string;
	fuzzyCompare?: boolean;
	disableDotNotation?: boolean;
	multipleMatches?: 'first' | 'all';
}

/**
 * Compare Datasets' four outputs (In A Only, Same, Different, In B Only) for the same data and
 * options, from the one-pass matcher in lib/reconcile. Item shapes follow that node too, so a
 * workflow can swap one for the other.
 */
export async function compareTwoInputs(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const node = this.getNode();
	const keys = readKeyPairs(this);
	const options = this.getNodeParameter('options', 0, {}) as Options;
	const resolveParameter = this.getNodeParameter(
		'resolve',
		0,
		'includeBoth',
	) as keyof typeof RESOLVE;
	const resolve = RESOLVE[resolveParameter] ?? 'includeBoth';
	const settings: CompareInputsOptions = {
		keys,
		skipFields: parseList(options.skipFields ?? ''),
		fuzzy: options.fuzzyCompare ?? false,
		resolve,
		multipleMatches: options.multipleMatches ?? 'first',
		disableDotNotation: options.disableDotNotation ?? false,
		...(resolve === 'mix'
			? {
					mix: {
						prefer: this.getNodeParameter('preferWhenMix', 0, 'input1') === 'input2' ? 'b' : 'a',
						except: parseList(this.getNodeParameter('exceptWhenMix', 0, '') as string),
					},
				}
			: {}),
	};
	const itemsA = inputItems(this, 0);
	const itemsB = inputItems(this, 1);
	const a = itemsA.map((item) => item.json);
	const b = itemsB.map((item) => item.json);

	let result;
	try {
		result = compareInputs(a, b, settings);
	} catch (error) {
		throw new NodeOperationError(
			node,
			error instanceof ReconcileError ? error.message : (error as Error),
		);
	}

	// "Use a Mix of Versions" writes into the preferred record, and Compare Datasets outputs that
	// record itself wherever it appears: every output shows it as the last pair left it.
	const mixedA = result.mixed?.a ?? new Map<number, object>();
	const mixedB = result.mixed?.b ?? new Map<number, object>();
	const fromA = (i: number): INodeExecutionData => ({
		json: (mixedA.get(i) ?? a[i]) as IDataObject,
		pairedItem: { item: i, input: 0 },
	});
	const fromB = (j: number): INodeExecutionData => ({
		json: (mixedB.get(j) ?? b[j]) as IDataObject,
		pairedItem: { item: j, input: 1 },
	});
	const sameFromB = settings.fuzzy === true && resolve === 'preferB';
	const different = result.different.map(({ a: i, b: j }): INodeExecutionData => {
		if (resolve === 'preferA') return fromA(i);
		if (resolve === 'preferB') return fromB(j);
		// The preferred record, written to: paired with it alone, as Compare Datasets does.
		if (resolve === 'mix') return settings.mix?.prefer === 'b' ? fromB(j) : fromA(i);
		return {
			json: describeDifference(a[i], b[j], settings) as IDataObject,
			pairedItem: [
				{ item: i, input: 0 },
				{ item: j, input: 1 },
			],
		};
	});
	const outputs = outputsByName(configuredOutputs({ mode: 'compareInputs' }));
	const items: INodeExecutionData[][] = Array.from({ length: outputs.count }, () => []);
	items[outputs.index('In A Only')] = result.inAOnly.map(fromA);
	items[outputs.index('Same')] = result.same.map(([i, j]) => (sameFromB ? fromB(j) : fromA(i)));
	items[outputs.index('Different')] = different;
	items[outputs.index('In B Only')] = result.inBOnly.map(fromB);
	return items;
}

function readKeyPairs(context: IExecuteFunctions): KeyPair[] {
	const values = context.getNodeParameter('mergeByFields.values', 0, []) as Array<{
		field1?: string;
		field2?: string;
	}>;
	const pairs = values.map(({ field1 = '', field2 = '' }) => ({
		a: String(field1).trim(),
		b: String(field2).trim(),
	}));
	if (pairs.length === 0 || pairs.every(({ a, b }) => a === '' && b === '')) {
		throw new NodeOperationError(
			context.getNode(),
			'Add at least one pair of fields in "Fields to Match" to match on',
		);
	}
	pairs.forEach(({ a, b }, index) => {
		if (a === '' || b === '') {
			throw new NodeOperationError(
				context.getNode(),
				`Fields to Match pair ${index + 1} needs both fields (Input A Field '${a}', Input B Field '${b}')`,
			);
		}
	});
	return pairs;
}

/** An input's items; an input with no data (not connected, or its branch did not run) is empty. */
function inputItems(context: IExecuteFunctions, input: number): INodeExecutionData[] {
	try {
		return context.getInputData(input) ?? [];
	} catch {
		return [];
	}
}
