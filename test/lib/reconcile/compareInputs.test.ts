import { compareInputs, type CompareInputsOptions } from '../../../lib/reconcile/compareInputs';
import { ReconcileError } from '../../../lib/reconcile/ReconcileError';

import { project, runCompareDatasets } from './compareDatasetsReference';

const byId: CompareInputsOptions = { keys: [{ a: 'id', b: 'id' }] };

/** Runs both this package and n8n's Compare Datasets, checks they agree, answers ours. */
function compare(a: object[], b: object[], options: CompareInputsOptions = byId) {
	const result = compareInputs(a, b, options);
	const { differentFields: _, ...reference } = runCompareDatasets(a, b, options);
	expect(project(result, options)).toEqual(reference);
	return result;
}

describe('compareInputs', () => {
	it('sorts records into in A only, same, different and in B only', () => {
		const result = compare(
			[
				{ id: 1, name: 'Ann' },
				{ id: 2, name: 'Bob' },
				{ id: 3, name: 'Cy' },
			],
			[
				{ id: 4, name: 'Dee' },
				{ id: 2, name: 'Bobby' },
				{ id: 1, name: 'Ann' },
			],
		);
		expect(result).toEqual({
			inAOnly: [2],
			inBOnly: [0],
			same: [[0, 2]],
			different: [{ a: 1, b: 1, fields: ['name'] }],
		});
	});

	it('pairs every copy of a key in A with the first record of B that has it', () => {
		const result = compare([{ id: 1 }, { id: 1, x: 1 }], [{ id: 1 }, { id: 1 }]);
		expect(result.same).toEqual([[0, 0]]);
		expect(result.different).toEqual([{ a: 1, b: 0, fields: ['x'] }]);
		expect(result.inBOnly).toEqual([1]);
	});

	it("pairs with every copy in B under multipleMatches 'all', one same per record of A", () => {
		const result = compare(
			[{ id: 1, v: 1 }],
			[
				{ id: 1, v: 1 },
				{ id: 1, v: 2 },
				{ id: 1, v: 1 },
			],
			{
				...byId,
				multipleMatches: 'all',
			},
		);
		expect(result.same).toEqual([[0, 0]]);
		expect(result.different).toEqual([{ a: 0, b: 1, fields: ['v'] }]);
		expect(result.inBOnly).toEqual([]);
	});

	it('puts a record of A without its key in A only, and one of B without it in B only', () => {
		const result = compare([{ name: 'no id' }, { id: null }], [{ name: 'no id' }, { id: null }]);
		expect(result.inAOnly).toEqual([0]);
		expect(result.same).toEqual([[1, 1]]);
		expect(result.inBOnly).toEqual([0]);
	});

	it('ignores records without any field, as Compare Datasets does', () => {
		expect(compare([{}, { id: 1 }], [{ id: 1 }, {}])).toEqual({
			inAOnly: [],
			inBOnly: [],
			same: [[1, 0]],
			different: [],
		});
	});

	it('matches on different field names and on several fields', () => {
		const result = compare(
			[
				{ id: 1, region: 'eu' },
				{ id: 1, region: 'us' },
			],
			[
				{ customerId: 1, zone: 'us' },
				{ customerId: 1, zone: 'eu' },
			],
			{
				keys: [
					{ a: 'id', b: 'customerId' },
					{ a: 'region', b: 'zone' },
				],
			},
		);
		expect(result.different.map(({ a, b }) => [a, b])).toEqual([
			[0, 1],
			[1, 0],
		]);
	});

	it('reaches into objects with dotted key paths, and takes them literally without dot notation', () => {
		const a = [{ ref: { id: 'x' } }];
		const b = [{ id: 'x', 'ref.id': 'y' }];
		expect(compare(a, b, { keys: [{ a: 'ref.id', b: 'id' }] }).different).toHaveLength(1);
		expect(
			compare([{ 'ref.id': 'y' }], b, {
				keys: [{ a: 'ref.id', b: 'ref.id' }],
				disableDotNotation: true,
			}).different,
		).toHaveLength(1);
	});

	it('compares nested objects and arrays deeply, ignoring key order', () => {
		const result = compare(
			[
				{ id: 1, address: { city: 'Köln', zip: '50667' }, tags: ['a', 'b'] },
				{ id: 2, address: { city: 'Köln' }, tags: ['a', 'b'] },
			],
			[
				{ tags: ['a', 'b'], address: { zip: '50667', city: 'Köln' }, id: 1 },
				{ id: 2, address: { city: 'Köln' }, tags: ['b', 'a'] },
			],
		);
		expect(result.same).toEqual([[0, 0]]);
		expect(result.different).toEqual([{ a: 1, b: 1, fields: ['tags'] }]);
	});

	it('keeps unicode keys apart byte for byte (é precomposed is not e + combining accent)', () => {
		const result = compare([{ id: 'café' }, { id: '🙂' }], [{ id: 'cafe\u0301' }, { id: '🙂' }]);
		expect(result.inAOnly).toEqual([0]);
		expect(result.same).toEqual([[1, 1]]);
		expect(result.inBOnly).toEqual([0]);
	});

	it('matches keys strictly by type unless fuzzy', () => {
		expect(compare([{ id: 1 }], [{ id: '1' }]).inAOnly).toEqual([0]);
		expect(compare([{ id: 1 }], [{ id: '1' }], { ...byId, fuzzy: true }).same).toEqual([[0, 0]]);
	});

	it.each([
		['a number and its text', 7, '7'],
		['true and TRUE', true, 'TRUE'],
		['true and 1', true, 1],
		['null and 0', null, 0],
		['null and the empty string', null, ''],
		['an object and its JSON text', { k: [1] }, ' {"k": [1]}'],
		['an empty array and null', [], null],
	])('fuzzy matches %s', (_, x, y) => {
		expect(compare([{ id: x }], [{ id: y }], { ...byId, fuzzy: true }).same).toEqual([[0, 0]]);
	});

	it('fuzzy equality is not transitive: null pairs with 0, 0 does not pair with the empty string', () => {
		const result = compare([{ id: 0 }, { id: '' }], [{ id: null }, { id: 0 }], {
			...byId,
			fuzzy: true,
			multipleMatches: 'all',
		});
		expect(result.same).toEqual([
			[0, 0],
			[1, 0],
		]);
		expect(result.inBOnly).toEqual([]);
	});

	it('fuzzy compare treats a blank field and a missing one as the same', () => {
		const options = { ...byId, fuzzy: true };
		expect(compare([{ id: 1, note: '' }], [{ id: 1 }], options).same).toEqual([[0, 0]]);
		expect(compare([{ id: 1, note: 'x' }], [{ id: 1 }], options).different).toEqual([
			{ a: 0, b: 0, fields: ['note'] },
		]);
	});

	it('fuzzy compare only looks at the fields of A when deciding same', () => {
		expect(compare([{ id: 1 }], [{ id: 1, extra: 5 }], { ...byId, fuzzy: true }).same).toEqual([
			[0, 0],
		]);
		expect(compare([{ id: 1 }], [{ id: 1, extra: 5 }]).different).toEqual([
			{ a: 0, b: 0, fields: ['extra'] },
		]);
	});

	it('skips top-level fields when comparing', () => {
		const result = compare(
			[{ id: 1, updatedAt: 'mon', v: 1 }],
			[{ id: 1, updatedAt: 'tue', v: 1 }],
			{ ...byId, skipFields: ['updatedAt'] },
		);
		expect(result.same).toEqual([[0, 0]]);
	});

	it('skips nested fields by dotted path and reports only the fields that still differ', () => {
		const result = compare(
			[{ id: 1, meta: { ts: 1, by: 'a' }, v: 1 }],
			[{ id: 1, meta: { ts: 2, by: 'a' }, v: 2 }],
			{ ...byId, skipFields: ['meta.ts'] },
		);
		expect(result.different).toEqual([{ a: 0, b: 0, fields: ['v'] }]);
		expect(
			compare([{ id: 1, meta: { ts: 1 } }], [{ id: 1, meta: { ts: 2 } }], {
				...byId,
				skipFields: ['meta.ts'],
			}).same,
		).toEqual([[0, 0]]);
	});

	it('never compares a field named by the empty string when nothing is skipped (Compare Datasets splits "" into [""])', () => {
		expect(compare([{ id: 1, '': 1 }], [{ id: 1, '': 2 }]).same).toEqual([[0, 0]]);
		expect(
			compare([{ id: 1, '': 1 }], [{ id: 1, '': 2 }], { ...byId, skipFields: ['x'] }).same,
		).toEqual([]);
	});

	it('fails like Include Both Versions when a dotted skip reaches into a field that is not an object', () => {
		const a = [{ id: 1, meta: 'text' }];
		const b = [{ id: 1, meta: 'other' }];
		const options: CompareInputsOptions = { ...byId, skipFields: ['meta.ts'] };
		expect(() => runCompareDatasets(a, b, options)).toThrow();
		expect(() => compareInputs(a, b, options)).toThrow(
			"Field 'meta' of A record 0 or B record 0 is not an object, so 'meta.ts' cannot be skipped inside it",
		);
		expect(compare(a, b, { ...options, resolve: 'preferA' }).different).toHaveLength(1);
	});

	it('with resolve mix, later pairs see the fields written into the preferred record', () => {
		// B's record takes A's v after the first pair, so the second copy in A finds it the same.
		const result = compare(
			[
				{ id: 1, v: 1 },
				{ id: 1, v: 1 },
			],
			[{ id: 1, v: 2 }],
			{
				...byId,
				resolve: 'mix',
				mix: { prefer: 'b', except: ['v'] },
			},
		);
		expect(result.different).toEqual([{ a: 0, b: 0, fields: ['v'] }]);
		expect(result.same).toEqual([[1, 0]]);
	});

	it('with resolve mix, answers the preferred records as the last pair left them', () => {
		const result = compareInputs(
			[{ id: 1, v: 1, note: 'a' }],
			[
				{ id: 1, v: 2, note: 'b' },
				{ id: 1, v: 3, note: 'c' },
			],
			{ ...byId, multipleMatches: 'all', resolve: 'mix', mix: { prefer: 'a', except: ['v'] } },
		);

		expect(result.different.map(({ a, b }) => [a, b])).toEqual([
			[0, 0],
			[0, 1],
		]);
		expect(result.mixed).toEqual({ a: new Map([[0, { id: 1, v: 3, note: 'a' }]]), b: new Map() });
	});

	it('answers no mixed records unless the resolve is mix', () => {
		const result = compareInputs([{ id: 1, v: 1 }], [{ id: 1, v: 2 }], {
			...byId,
			resolve: 'preferA',
		});

		expect(result).not.toHaveProperty('mixed');
	});

	it('does not change its inputs', () => {
		const a = [{ id: 1, v: 1 }];
		const b = [{ id: 1, v: 2 }];
		compareInputs(a, b, { ...byId, resolve: 'mix', mix: { prefer: 'a', except: ['v'] } });
		expect(a).toEqual([{ id: 1, v: 1 }]);
		expect(b).toEqual([{ id: 1, v: 2 }]);
	});

	it('pairs keys that are not JSON (a Date) by comparing them one by one', () => {
		const result = compare(
			[{ id: new Date(5) }, { id: 'x' }],
			[{ id: 'x' }, { id: new Date(5) }, { id: new Date(5) }],
		);
		expect(result.same).toEqual([
			[0, 1],
			[1, 0],
		]);
		expect(result.inBOnly).toEqual([2]);
	});

	it("pairs keys that are not JSON in index order with the others under 'all'", () => {
		const result = compare(
			[{ id: new Date(5) }],
			[{ id: new Date(5), v: 1 }, { id: new Date(5) }],
			{
				...byId,
				multipleMatches: 'all',
			},
		);
		expect(result.different.map(({ b }) => b)).toEqual([0]);
		expect(result.same).toEqual([[0, 1]]);
		const mixed = compare([{ id: '1' }], [{ id: new Date(1) }, { id: 1 }, { id: '1' }], {
			...byId,
			fuzzy: true,
			multipleMatches: 'all',
		});
		expect(mixed.same).toEqual([[0, 1]]);
		expect(mixed.inBOnly).toEqual([0]);
	});

	it('drops a B key field named __proto__ from the match as Compare Datasets does (it then matches anything)', () => {
		const result = compare([{ id: 1 }], [{ id: 2 }, { id: 3 }], {
			keys: [{ a: 'id', b: '__proto__' }],
		});
		expect(result.different.map(({ a, b }) => [a, b])).toEqual([[0, 0]]);
	});

	it('keeps the last A field when two pairs name the same B field', () => {
		const result = compare([{ x: 1, y: 2 }], [{ id: 2 }], {
			keys: [
				{ a: 'x', b: 'id' },
				{ a: 'y', b: 'id' },
			],
		});
		expect(result.different).toHaveLength(1);
	});

	it.each([
		['no key pairs', { keys: [] }, 'At least one pair of key fields is needed to match on'],
		[
			'a key pair without its B field',
			{ keys: [{ a: 'id', b: '' }] },
			"Key pair 1 needs both fields, got A 'id' and B ''",
		],
		[
			'a dotted field to skip without dot notation',
			{ ...byId, disableDotNotation: true, skipFields: ['meta.ts'] },
			"Dot notation is disabled, but the field to skip 'meta.ts' contains a dot",
		],
	])('rejects %s', (_, options, message) => {
		expect(() => compareInputs([], [], options)).toThrow(
			new ReconcileError(message, 'invalidOptions'),
		);
	});
});
