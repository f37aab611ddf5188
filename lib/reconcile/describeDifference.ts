import get from 'lodash/get';
import intersection from 'lodash/intersection';
import isEqual from 'lodash/isEqual';
import set from 'lodash/set';
import union from 'lodash/union';

import type { CompareInputsOptions } from './compareInputs';
import { fuzzyEquals } from './fuzzyEquals';

type Json = Record<string, unknown>;

const orNull = (value: unknown) => (value === undefined ? null : value);

/**
 * A differing pair as Compare Datasets' "Include Both Versions" shows it: the key values, the
 * fields both records agree on (A's value), each differing field with both values, and the
 * skipped fields that differ apart under `skipped`.
 *
 * `fields` are the differing top-level fields as `compareInputs` found them (skipped ones left
 * out). Only top-level fields are listed; a field skipped inside an object (`meta.ts`) stays in
 * its object's values.
 */
export function describeDifference(
	x: object,
	y: object,
	fields: readonly string[],
	options: Pick<CompareInputsOptions, 'keys' | 'skipFields' | 'fuzzy' | 'disableDotNotation'>,
): { keys: Json; same: Json; different: Json; skipped?: Json } {
	const a = x as Json;
	const b = y as Json;
	const skip = options.skipFields ?? [];
	const keys: Json = {};
	for (const { a: field } of options.keys) {
		keys[field] = options.disableDotNotation ? a[field] : get(a, field);
	}
	const differing = new Set(fields);
	const compared = options.fuzzy
		? union(Object.keys(a), Object.keys(b))
		: intersection(Object.keys(a), Object.keys(b));
	const equal = (field: string) =>
		options.fuzzy ? fuzzyEquals(a[field], b[field]) : isEqual(a[field], b[field]);

	const same: Json = {};
	for (const field of compared) {
		if (!differing.has(field) && (!skip.includes(field) || equal(field))) same[field] = a[field];
	}
	const different: Json = {};
	for (const field of fields) {
		different[field] = { inputA: orNull(a[field]), inputB: orNull(b[field]) };
	}
	const skipped: Json = {};
	for (const field of skip) {
		if (!(field in a) && !(field in b)) continue;
		if (!equal(field)) skipped[field] = { inputA: orNull(a[field]), inputB: orNull(b[field]) };
	}
	return { keys, same, different, ...(Object.keys(skipped).length > 0 ? { skipped } : {}) };
}

/**
 * "Use a Mix of Versions": the preferred record with the `except` fields taken from the other
 * one (a missing field becomes null). A copy: the inputs are never written.
 */
export function mixRecords(
	x: object,
	y: object,
	options: Pick<CompareInputsOptions, 'mix' | 'disableDotNotation'>,
): Json {
	const preferA = (options.mix?.prefer ?? 'a') === 'a';
	const [target, source] = (preferA ? [x, y] : [y, x]) as [Json, Json];
	const mixed: Json = { ...target };
	for (const field of options.mix?.except ?? []) {
		if (options.disableDotNotation) mixed[field] = source[field];
		else set(mixed, [field], orNull(get(source, field)));
	}
	return mixed;
}
