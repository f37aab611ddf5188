import get from 'lodash/get';
import set from 'lodash/set';

import type { CompareInputsOptions } from './compareInputs';

type Json = Record<string, unknown>;

/**
 * "Use a Mix of Versions" for one pair: the preferred record (`target`) with the `except` fields
 * taken from the other one (a missing field becomes null). A copy: nothing is written.
 */
export function mixRecords(
	target: object,
	source: object,
	options: Pick<CompareInputsOptions, 'mix' | 'disableDotNotation'>,
): Json {
	const from = source as Json;
	const mixed: Json = { ...(target as Json) };
	for (const field of options.mix?.except ?? []) {
		if (options.disableDotNotation) mixed[field] = from[field];
		else set(mixed, [field], get(from, field) ?? null);
	}
	return mixed;
}
