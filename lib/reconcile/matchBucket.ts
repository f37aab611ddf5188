import isPlainObject from 'lodash/isPlainObject';

/**
 * Hash buckets for key values. The one promise: two values the comparator calls equal always get
 * the same bucket, so pairing only has to look inside one bucket (and still confirms each
 * candidate with the comparator itself). A bucket may hold values that are not equal: that costs
 * time, never a wrong pair. `undefined` means the value is not JSON (a Date, a class instance, a
 * cycle): such values are compared with every candidate instead.
 */
export type Bucket = (value: unknown) => string | undefined;

/** For lodash `isEqual`: a canonical form (object keys sorted, types kept apart). */
export const strictBucket: Bucket = (value) => canonical(value, []);

// Fuzzy equality is not transitive (null = 0, null = '', 0 ≠ ''), so every value that is fuzzily
// equal to null, 0, false or the blanks shares one bucket.
const ZERO = 'z';
const ONE = textBucket('1');
const LOOKS_LIKE_JSON_CONTAINER = /^\s*[[{]/;

/** For `fuzzyEquals`. A number goes where its text goes; JSON text goes where its object goes. */
export const fuzzyBucket: Bucket = (value) => {
	switch (typeof value) {
		case 'undefined':
			return ZERO;
		case 'boolean':
			return value ? ONE : ZERO;
		case 'number':
			return textBucket(value.toString());
		case 'string':
			return stringBucket(value);
		case 'object':
			if (value === null || (Array.isArray(value) && value.length === 0)) return ZERO;
			return objectBucket(value);
		default:
			return undefined;
	}
};

function stringBucket(text: string): string | undefined {
	if (text === '') return ZERO;
	const lower = text.toLocaleLowerCase();
	if (lower === 'true') return ONE;
	if (lower === 'false') return ZERO;
	if (LOOKS_LIKE_JSON_CONTAINER.test(text)) {
		const parsed = parseJson(text);
		if (typeof parsed === 'object' && parsed !== null) return fuzzyBucket(parsed);
	}
	return textBucket(text);
}

function textBucket(text: string): string {
	return text === '0' ? ZERO : `t${text}`;
}

function objectBucket(value: object): string | undefined {
	const form = canonical(value, []);
	return form === undefined ? undefined : `o${form}`;
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** JSON-like text of a value in which every `isEqual`-equal value reads the same. */
function canonical(value: unknown, ancestors: object[]): string | undefined {
	switch (typeof value) {
		case 'undefined':
			return 'u';
		case 'boolean':
			return value ? 'true' : 'false';
		case 'number':
			// -0 and 0 read '0', as isEqual has them equal; NaN reads 'NaN' (equal to itself there)
			return value.toString();
		case 'string':
			return JSON.stringify(value);
		case 'object':
			if (value === null) return 'null';
			if (ancestors.includes(value)) return undefined;
			return containerForm(value, ancestors);
		default:
			return undefined;
	}
}

function containerForm(value: object, ancestors: object[]): string | undefined {
	ancestors.push(value);
	try {
		if (Array.isArray(value)) {
			const parts: string[] = [];
			for (let index = 0; index < value.length; index++) {
				const part = canonical(value[index], ancestors);
				if (part === undefined) return undefined;
				parts.push(part);
			}
			return `[${parts.join(',')}]`;
		}
		if (!isPlainObject(value)) return undefined;
		const record = value as Record<string, unknown>;
		const parts: string[] = [];
		for (const key of Object.keys(record).sort()) {
			const part = canonical(record[key], ancestors);
			if (part === undefined) return undefined;
			parts.push(`${JSON.stringify(key)}:${part}`);
		}
		return `{${parts.join(',')}}`;
	} finally {
		ancestors.pop();
	}
}
