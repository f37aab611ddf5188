import intersection from 'lodash/intersection';
import isEqual from 'lodash/isEqual';
import union from 'lodash/union';

import { fuzzyEquals } from './fuzzyEquals';

type Json = Record<string, unknown>;

/**
 * Compare Datasets' per-field view of a pair ("Include Both Versions"), on the records as they
 * are: every top-level field of either record, and those both agree on. Strictly, a field counts
 * only when both records have it; fuzzy, a missing field can agree with a blank one.
 */
export function agreeingFields(
	x: Json,
	y: Json,
	fuzzy: boolean,
): { all: string[]; same: Set<string> } {
	const [keysX, keysY] = [Object.keys(x), Object.keys(y)];
	const all = union(keysX, keysY);
	const compared = fuzzy ? all : intersection(keysX, keysY);
	const equal = fuzzy ? fuzzyEquals : isEqual;
	return { all, same: new Set(compared.filter((key) => equal(x[key], y[key]))) };
}
