import fc from 'fast-check';
import isEqual from 'lodash/isEqual';

import { fuzzyEquals } from '../../../lib/reconcile/fuzzyEquals';
import { fuzzyBucket, strictBucket, type Bucket } from '../../../lib/reconcile/matchBucket';

// Look-alikes across types, JSON text (valid and not), and values that are not JSON.
const LOOK_ALIKES = [
	0,
	-0,
	1,
	'0',
	'1',
	'-0',
	1.5,
	'1.5',
	NaN,
	'NaN',
	Infinity,
	'Infinity',
	true,
	false,
	'TRUE',
	'false',
	'FALSE',
	null,
	'',
	undefined,
	[],
	'[]',
	' []',
	'[1]',
	[1],
	'{"a":1}',
	{ a: 1 },
	'{a:1}',
	'{"a":',
	'null',
	10n,
	Symbol.for('s'),
	new Date(0),
];
const value: fc.Arbitrary<unknown> = fc.oneof(
	fc.constantFrom(...LOOK_ALIKES),
	fc.jsonValue(),
	fc.jsonValue().map((json) => JSON.stringify(json)),
);

/** A copy with the object keys in reverse order: equal to lodash, built differently. */
function reordered(input: unknown): unknown {
	if (Array.isArray(input)) return input.map(reordered);
	if (input === null || typeof input !== 'object' || input instanceof Date) return input;
	return Object.fromEntries(
		Object.entries(input)
			.reverse()
			.map(([key, inner]) => [key, reordered(inner)]),
	);
}

/** Two values, often equal: independent, a reordered copy, or a value and its JSON text. */
const pairs = fc.oneof(
	fc.tuple(value, value),
	value.map((x) => [x, reordered(x)] as const),
	fc.jsonValue().map((x) => [x, JSON.stringify(x)] as const),
);

/** The promise pairing relies on: equal values share a bucket, or one of them has none. */
const keepsEqualsTogether = (bucket: Bucket, equals: (x: unknown, y: unknown) => boolean) =>
	fc.property(pairs, ([x, y]) => {
		if (!equals(x, y)) return true;
		const [bx, by] = [bucket(x), bucket(y)];
		return bx === undefined || by === undefined || bx === by;
	});

describe('match buckets', () => {
	it('put values lodash isEqual calls equal into one bucket', () => {
		fc.assert(keepsEqualsTogether(strictBucket, isEqual), { numRuns: 5000 });
	});

	it('put values fuzzyEquals calls equal into one bucket', () => {
		fc.assert(keepsEqualsTogether(fuzzyBucket, fuzzyEquals), { numRuns: 5000 });
	});

	it.each(LOOK_ALIKES.map((item) => [item]))('agree with the comparators on %p', (x) => {
		for (const y of LOOK_ALIKES) {
			for (const [bucket, equals] of [
				[strictBucket, isEqual],
				[fuzzyBucket, fuzzyEquals],
			] as const) {
				if (!equals(x, y)) continue;
				const [bx, by] = [bucket(x), bucket(y)];
				expect(bx === undefined || by === undefined || bx === by).toBe(true);
			}
		}
	});

	it('have no bucket for values that are not JSON, nor for cycles', () => {
		const cycle: Record<string, unknown> = {};
		cycle.self = cycle;
		for (const bucket of [strictBucket, fuzzyBucket]) {
			expect(bucket(new Date(0))).toBeUndefined();
			expect(bucket(10n)).toBeUndefined();
			expect(bucket({ when: new Date(0) })).toBeUndefined();
			expect(bucket([cycle])).toBeUndefined();
		}
	});
});
