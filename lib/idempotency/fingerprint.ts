import { createHash } from 'node:crypto';

import stableStringify from 'fast-json-stable-stringify';
import get from 'lodash/get';

/**
 * A hash of the chosen payload fields, independent of key order, so "same key, different
 * payload" can be told from an honest retry. Missing fields count as null.
 */
export function payloadFingerprint(payload: unknown, fields: string[]): string {
	const picked = fields.map((field) => [field, get(payload, field) ?? null]);
	return `sha256:${createHash('sha256').update(stableStringify(picked)).digest('hex')}`;
}
