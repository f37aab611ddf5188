import cloneDeep from 'lodash/cloneDeep';
import get from 'lodash/get';
import set from 'lodash/set';
import unset from 'lodash/unset';

import type { CompareInputsOptions } from './compareInputs';
import { agreeingFields } from './agreeingFields';

type Json = Record<string, unknown>;

const orNull = (value: unknown) => (value === undefined ? null : value);

/**
 * A differing pair as Compare Datasets' "Include Both Versions" shows it: the key values (A's),
 * the top-level fields both records agree on (A's value, skipped fields included), and every other
 * field of either record with both values (missing ones as null). A field to skip is listed under
 * `skipped` instead; a field to skip inside an object (`meta.ts`) is taken out of that object's
 * values and shown under `skipped.meta`.
 */
export function describeDifference(
	x: object,
	y: object,
	options: Pick<CompareInputsOptions, 'keys' | 'skipFields' | 'fuzzy' | 'disableDotNotation'>,
): { keys: Json; same: Json; different: Json; skipped?: Json } {
	const a = x as Json;
	const b = y as Json;
	const skip = options.skipFields ?? [];
	const keys: Json = {};
	for (const { a: field } of options.keys) keys[field] = a[field];
	const { all, same: agreeing } = agreeingFields(a, b, options.fuzzy ?? false);

	const same: Json = {};
	for (const field of agreeing) same[field] = a[field];
	const different: Json = {};
	const skipped: Json = {};
	for (const field of all) {
		if (field in same) continue;
		const pair = { inputA: orNull(a[field]), inputB: orNull(b[field]) };
		if (skip.includes(field)) {
			skipped[field] = pair;
			continue;
		}
		const inside = options.disableDotNotation
			? []
			: skip.filter((path) => path.startsWith(field) && path.includes('.'));
		if (inside.length > 0) {
			const [inputA, inputB] = [cloneDeep(pair.inputA), cloneDeep(pair.inputB)] as Json[];
			const taken: Json = { inputA: {}, inputB: {} };
			for (const path of inside) {
				const nested = path.replace(`${field}.`, '');
				set(taken.inputA as Json, nested, get(inputA, nested));
				set(taken.inputB as Json, nested, get(inputB, nested));
				unset(inputA, nested);
				unset(inputB, nested);
			}
			skipped[field] = taken;
			different[field] = { inputA, inputB };
			continue;
		}
		different[field] = pair;
	}
	return { keys, same, different, ...(Object.keys(skipped).length > 0 ? { skipped } : {}) };
}
