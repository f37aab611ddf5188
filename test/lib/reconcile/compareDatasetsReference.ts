import cloneDeep from 'lodash/cloneDeep';

import type {
	CompareInputsOptions,
	CompareInputsResult,
} from '../../../lib/reconcile/compareInputs';

/**
 * n8n's own Compare Datasets pairing (`findMatches`, node version 2.3, after the node's
 * `checkInput`), required from the installed n8n so the tests hold this package to the real thing.
 * Only tests load it; lib/ never depends on n8n-nodes-base.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compareDatasets =
	require('../../../n8n-runtime/node_modules/n8n-nodes-base/dist/nodes/CompareDatasets/GenericFunctions.js') as {
		findMatches: (...args: unknown[]) => Item[][];
		checkInput: (items: Item[]) => Item[];
	};

interface Item {
	json: Record<string, unknown>;
	pairedItem?: Array<{ item: number; input: number }> | { item: number; input: number };
}

const RESOLVE = {
	preferA: 'preferInput1',
	preferB: 'preferInput2',
	mix: 'mix',
	includeBoth: 'includeBoth',
} as const;

/** Who an output item is: a record of A, of B, or (Include Both Versions) a pair. */
export type Who = string;

export interface Projection {
	inAOnly: Who[];
	same: Who[];
	different: Who[];
	inBOnly: Who[];
}

/** What the node would emit for each output, as identities, from Compare Datasets itself. */
export function runCompareDatasets(
	a: object[],
	b: object[],
	options: CompareInputsOptions,
): Projection & { differentFields: string[][] } {
	const itemsA: Item[] = a.map((json, item) => ({
		json: cloneDeep(json) as Item['json'],
		pairedItem: { item, input: 0 },
	}));
	const itemsB: Item[] = b.map((json, item) => ({
		json: cloneDeep(json) as Item['json'],
		pairedItem: { item, input: 1 },
	}));
	const who = (item: Item): Who => {
		const paired = item.pairedItem;
		if (Array.isArray(paired)) return `A${paired[0].item}+B${paired[1].item}`;
		return `${paired!.input === 0 ? 'A' : 'B'}${paired!.item}`;
	};
	const [inAOnly, same, different, inBOnly] = compareDatasets.findMatches(
		compareDatasets.checkInput(itemsA),
		compareDatasets.checkInput(itemsB),
		options.keys.map(({ a: field1, b: field2 }) => ({ field1, field2 })),
		{
			nodeVersion: 2.3,
			fuzzyCompare: options.fuzzy ?? false,
			resolve: RESOLVE[options.resolve ?? 'includeBoth'],
			skipFields: (options.skipFields ?? []).join(','),
			multipleMatches: options.multipleMatches ?? 'first',
			disableDotNotation: options.disableDotNotation ?? false,
			preferWhenMix: options.mix?.prefer === 'b' ? 'input2' : 'input1',
			exceptWhenMix: options.mix?.except?.length ? options.mix.except : '',
		},
	);
	return {
		inAOnly: inAOnly.map(who),
		same: same.map(who),
		different: different.map(who),
		inBOnly: inBOnly.map(who),
		differentFields: different.map((item) =>
			Object.keys((item.json.different as object | undefined) ?? {}),
		),
	};
}

/** The same identities from this package's result, as the node will pick its output items. */
export function project(result: CompareInputsResult, options: CompareInputsOptions): Projection {
	const resolve = options.resolve ?? 'includeBoth';
	const sameFromB = (options.fuzzy ?? false) && resolve === 'preferB';
	const differentWho = ({ a, b }: { a: number; b: number }): Who => {
		if (resolve === 'includeBoth') return `A${a}+B${b}`;
		const fromA = resolve === 'preferA' || (resolve === 'mix' && options.mix?.prefer !== 'b');
		return fromA ? `A${a}` : `B${b}`;
	};
	return {
		inAOnly: result.inAOnly.map((i) => `A${i}`),
		same: result.same.map(([i, j]) => (sameFromB ? `B${j}` : `A${i}`)),
		different: result.different.map(differentWho),
		inBOnly: result.inBOnly.map((j) => `B${j}`),
	};
}
