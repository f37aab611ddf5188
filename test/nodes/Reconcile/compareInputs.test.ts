import fc from 'fast-check';
import cloneDeep from 'lodash/cloneDeep';
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { datasetPairs } from '../../lib/reconcile/datasetPairs';
import { fakeExecuteContext } from '../fakeExecuteContext';
import { COMPARE_OUTPUTS, runReconcile } from './runReconcile';

/**
 * n8n's own Compare Datasets node (n8n-nodes-base, version 2.3), required from the installed n8n
 * and run with the same parameters and items as Reconcile in Compare Inputs mode.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CompareDatasets } =
	require('../../../n8n-runtime/node_modules/n8n-nodes-base/dist/nodes/CompareDatasets/CompareDatasets.node.js') as {
		CompareDatasets: new () => {
			execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]>;
		};
	};

interface Settings {
	fields: Array<{ field1: string; field2: string }>;
	resolve: 'includeBoth' | 'preferInput1' | 'preferInput2' | 'mix';
	fuzzyCompare: boolean;
	skipFields: string;
	multipleMatches: 'first' | 'all';
	disableDotNotation: boolean;
	preferWhenMix: 'input1' | 'input2';
	exceptWhenMix: string;
}

/**
 * Items of one input. Compare Datasets passes its input items on as they are, pairedItem included,
 * where Reconcile points at its own inputs; items paired with their own input and index make both
 * conventions name the same record.
 */
const json = (records: object[], input = 0): INodeExecutionData[] =>
	records.map((record, item) => ({
		json: cloneDeep(record) as INodeExecutionData['json'],
		pairedItem: { item, input },
	}));

async function compareDatasets(a: object[], b: object[], settings: Settings) {
	const context = fakeExecuteContext({
		items: json(a),
		secondInput: json(b, 1),
		node: { name: 'Compare Datasets', type: 'n8n-nodes-base.compareDatasets', typeVersion: 2.3 },
		parameters: {
			'mergeByFields.values': settings.fields,
			resolve: settings.resolve,
			fuzzyCompare: settings.fuzzyCompare,
			preferWhenMix: settings.preferWhenMix,
			exceptWhenMix: settings.exceptWhenMix,
			options: {
				skipFields: settings.skipFields,
				multipleMatches: settings.multipleMatches,
				disableDotNotation: settings.disableDotNotation,
			},
		},
	});
	return await new CompareDatasets().execute.call(context);
}

async function reconcile(a: object[], b: object[], settings: Settings) {
	return await runReconcile(
		{
			mode: 'compareInputs',
			'mergeByFields.values': settings.fields,
			resolve: settings.resolve,
			preferWhenMix: settings.preferWhenMix,
			exceptWhenMix: settings.exceptWhenMix,
			options: {
				skipFields: settings.skipFields,
				fuzzyCompare: settings.fuzzyCompare,
				multipleMatches: settings.multipleMatches,
				disableDotNotation: settings.disableDotNotation,
			},
		},
		json(a),
		{ secondInput: json(b, 1) },
	);
}

/** Each output as Compare Datasets' item identities (pairedItem) and contents. */
const view = (outputs: INodeExecutionData[][]) =>
	outputs.map((items) =>
		items.map((item) => ({
			from: [item.pairedItem]
				.flat()
				.map((paired) =>
					paired && typeof paired === 'object'
						? `${paired.input === 1 ? 'B' : 'A'}${paired.item}`
						: '?',
				),
			json: item.json,
		})),
	);

const BASE: Settings = {
	fields: [{ field1: 'id', field2: 'id' }],
	resolve: 'includeBoth',
	fuzzyCompare: false,
	skipFields: '',
	multipleMatches: 'first',
	disableDotNotation: false,
	preferWhenMix: 'input1',
	exceptWhenMix: '',
};

describe('Reconcile Compare Inputs', () => {
	const a = [
		{ id: 1, name: 'Ada', city: 'London', updated: 't1' },
		{ id: 2, name: 'Bob', city: 'Paris', updated: 't1' },
		{ id: 3, name: 'Cy', city: 'Rome', updated: 't1' },
		{ id: 'ü-4', name: 'Dé', city: 'Köln', updated: 't1' },
	];
	const b = [
		{ id: 2, name: 'Bob', city: 'Paris', updated: 't2' },
		{ id: 3, name: 'Cy', city: 'Milan', updated: 't2' },
		{ id: 'ü-4', name: 'Dé', city: 'Köln', updated: 't1' },
		{ id: 5, name: 'Eve', city: 'Oslo', updated: 't2' },
	];

	it('sorts records into In A Only, Same, Different (with the differing fields) and In B Only', async () => {
		const outputs = await reconcile(a, b, { ...BASE, skipFields: 'updated' });

		expect(outputs).toHaveLength(COMPARE_OUTPUTS.length);
		expect(outputs.map((items) => items.map((item) => item.json.id ?? item.json.keys))).toEqual([
			[1],
			[2, 'ü-4'],
			[{ id: 3 }],
			[5],
		]);
		expect(outputs[2][0].json).toEqual({
			keys: { id: 3 },
			same: { id: 3, name: 'Cy' },
			different: { city: { inputA: 'Rome', inputB: 'Milan' } },
			skipped: { updated: { inputA: 't1', inputB: 't2' } },
		});
		expect(outputs[2][0].pairedItem).toEqual([
			{ item: 2, input: 0 },
			{ item: 1, input: 1 },
		]);
	});

	it('gives exactly what Compare Datasets gives on the same items', async () => {
		for (const resolve of ['includeBoth', 'preferInput1', 'preferInput2', 'mix'] as const) {
			const settings: Settings = { ...BASE, resolve, exceptWhenMix: 'city', skipFields: 'updated' };
			expect(view(await reconcile(a, b, settings))).toEqual(
				view(await compareDatasets(a, b, settings)),
			);
		}
	});

	it('treats an input with no data as empty', async () => {
		const outputs = await runReconcile(
			{ mode: 'compareInputs', 'mergeByFields.values': BASE.fields },
			json(a),
		);

		expect(outputs.map((items) => items.length)).toEqual([4, 0, 0, 0]);
	});

	it('asks for both fields of every pair to match on', async () => {
		await expect(
			reconcile(a, b, { ...BASE, fields: [{ field1: '', field2: '' }] }),
		).rejects.toThrow('Add at least one pair of fields in "Fields to Match" to match on');
		await expect(
			reconcile(a, b, { ...BASE, fields: [{ field1: 'id', field2: '' }] }),
		).rejects.toThrow(
			"Fields to Match pair 1 needs both fields (Input A Field 'id', Input B Field '')",
		);
	});
});

// JSON values only, as items reach a node in n8n; chosen to collide under fuzzy compare.
const VALUE = fc.constantFrom(
	1,
	'1',
	0,
	'0',
	2,
	true,
	'true',
	false,
	null,
	'',
	[],
	[1],
	{ k: 1 },
	'x',
	'é',
	'e\u0301',
	'🙂',
);
const nested = fc.record({ ts: VALUE, x: VALUE }, { requiredKeys: [] });
const record = fc.record(
	{ id: VALUE, v: VALUE, w: VALUE, meta: fc.oneof(nested, VALUE) },
	{ requiredKeys: [] },
);
const datasets = datasetPairs(record, { editable: ['id', 'v', 'w'], value: VALUE }, 10);
const settings: fc.Arbitrary<Settings> = fc.record({
	fields: fc.constantFrom(
		[{ field1: 'id', field2: 'id' }],
		[{ field1: 'id', field2: 'v' }],
		[
			{ field1: 'id', field2: 'id' },
			{ field1: 'v', field2: 'v' },
		],
	),
	resolve: fc.constantFrom('includeBoth', 'preferInput1', 'preferInput2', 'mix'),
	fuzzyCompare: fc.boolean(),
	skipFields: fc.constantFrom('', 'w', 'w, meta', 'v', 'meta.ts', 'w, meta.x'),
	multipleMatches: fc.constantFrom('first', 'all'),
	disableDotNotation: fc.boolean(),
	preferWhenMix: fc.constantFrom('input1', 'input2'),
	exceptWhenMix: fc.constantFrom('', 'w', 'v, meta', 'meta.x'),
});

describe('Reconcile Compare Inputs against Compare Datasets on random data', () => {
	it('gives the same items on the same outputs, or fails where it fails', async () => {
		await fc.assert(
			fc.asyncProperty(datasets, settings, async ([a, b], options) => {
				const outcome = async (run: typeof reconcile) =>
					await run(a, b, options).then(view, () => 'fails');
				expect(await outcome(reconcile)).toEqual(await outcome(compareDatasets));
			}),
			{ numRuns: 1000 },
		);
	});
});
