import isEqual from 'lodash/isEqual';

/**
 * Compare Datasets' "Fuzzy Compare" (n8n-nodes-base `fuzzyCompare`, node version 2 and later),
 * rule for rule, so both nodes pair and compare the same items. Values of one type compare deeply
 * and strictly; across types: null = 0 = '0'; null, '' and [] are blank, and a blank equals a
 * missing value; 3 = '3' (the number's own text); an object equals JSON text of it; true = 'true'
 * (any case) = 1 = '1', false = 'false' = 0 = '0'. It is symmetric but not transitive
 * (null = 0 and null = '', yet 0 ≠ '').
 */
export function fuzzyEquals(a: unknown, b: unknown): boolean {
	if (a !== null && b !== null && typeof a === typeof b) return isEqual(a, b);
	if (a === null && (b === null || b === 0 || b === '0')) return true;
	if (b === null && (a === 0 || a === '0')) return true;
	if (isBlank(a) && (isBlank(b) || b === undefined)) return true;
	if (a === undefined && isBlank(b)) return true;
	if (typeof a === 'number' && typeof b === 'string') return a.toString() === b;
	if (typeof a === 'string' && typeof b === 'number') return a === b.toString();
	if (a !== null && typeof a === 'object' && typeof b === 'string') return parsesTo(b, a);
	if (b !== null && typeof a === 'string' && typeof b === 'object') return parsesTo(a, b);
	if (typeof a === 'boolean' && typeof b === 'string') return isBooleanText(a, b);
	if (typeof a === 'string' && typeof b === 'boolean') return isBooleanText(b, a);
	if (typeof a === 'boolean' && typeof b === 'number') return b === (a ? 1 : 0);
	if (typeof a === 'number' && typeof b === 'boolean') return a === (b ? 1 : 0);
	return isEqual(a, b);
}

/** Compare Datasets' `isFalsy`: null, the empty string and the empty array. */
export const isBlank = (value: unknown): boolean =>
	value === null || value === '' || (Array.isArray(value) && value.length === 0);

function parsesTo(text: string, value: unknown): boolean {
	try {
		return isEqual(JSON.parse(text), value);
	} catch {
		return false;
	}
}

const isBooleanText = (flag: boolean, text: string): boolean =>
	flag
		? text.toLocaleLowerCase() === 'true' || text === '1'
		: text.toLocaleLowerCase() === 'false' || text === '0';
