import { DateTime } from 'luxon';

import { toIsoTimestamp } from '../envelope';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * An event's version for the ordering guard, as a number the store compares; undefined when the
 * value is none. A number, or decimal text, is taken as it is (a version, a sequence, an epoch in
 * any unit); a date (a Date, a Luxon DateTime, ISO 8601, SQL or RFC 2822 text) becomes epoch ms.
 */
export function toOrderingVersion(value: unknown): number | undefined {
	if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
	if (value instanceof Date) return toFinite(value.getTime());
	if (DateTime.isDateTime(value)) return value.isValid ? value.toMillis() : undefined;
	if (typeof value !== 'string') return undefined;
	const text = value.trim();
	if (DECIMAL.test(text)) return toFinite(Number(text));
	const iso = toIsoTimestamp(text);
	return iso === null ? undefined : DateTime.fromISO(iso).toMillis();
}

const toFinite = (value: number) => (Number.isFinite(value) ? value : undefined);
