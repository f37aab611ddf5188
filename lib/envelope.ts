import get from 'lodash/get';
import { DateTime } from 'luxon';

/**
 * The one item shape both paths emit (Signed Webhook Trigger and Cursor Poll Trigger), so a single
 * Idempotency Check downstream can take events from either.
 */
export interface EventEnvelope {
	id: string;
	type: string | null;
	occurredAt: string | null;
	receivedAt: string;
	source: 'webhook' | 'poll';
	scheme?: string;
	data: unknown;
	headers?: Record<string, string>;
}

/** Where a value lives in a delivery: ordered header candidates, then a dotted body path. */
export interface FieldSource {
	header?: string[];
	bodyPath?: string;
}

export type HeaderMap = Record<string, string | string[] | undefined>;

/**
 * The one header reader: the first value of a repeated header, an empty value counted as absent.
 * n8n gives header names lower-case; `name` may be spelled as the user typed it.
 */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
	// Names in code are already lower-case: look them up before lower-casing (every delivery does).
	const value = headers[name] ?? headers[name.toLowerCase()];
	const first = Array.isArray(value) ? value[0] : value;
	return first === '' ? undefined : first;
}

export function readField(
	source: FieldSource,
	headers: HeaderMap,
	body: unknown,
): string | undefined {
	for (const name of source.header ?? []) {
		const value = headerValue(headers, name);
		if (value !== undefined) return value;
	}
	if (source.bodyPath && body !== null && typeof body === 'object') {
		const value: unknown = get(body, source.bodyPath);
		if (typeof value === 'string' && value !== '') return value;
		if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	}
	return undefined;
}

/** Luxon reads a bare time ("12:00") as today: only text that starts with a year is a date. */
const STARTS_WITH_YEAR = /^[+-]?\d{4}/;

/**
 * Epoch seconds or milliseconds (told apart by size), ISO 8601, SQL or RFC 2822 strings, to ISO;
 * else null. Text without an offset is UTC, never the n8n host's local time.
 */
export function toIsoTimestamp(value: unknown): string | null {
	return toDateTime(value)?.toUTC().toISO() ?? null;
}

/** The same reading as `toIsoTimestamp`, as a luxon DateTime (one parse, for hot paths). */
export function toDateTime(value: unknown): DateTime | null {
	if (typeof value === 'number' && Number.isFinite(value)) {
		const dateTime = value > 1e11 ? DateTime.fromMillis(value) : DateTime.fromSeconds(value);
		return dateTime.isValid ? dateTime : null;
	}
	if (typeof value !== 'string' || value.trim() === '') return null;
	const text = value.trim();
	if (/^\d+(\.\d+)?$/.test(text)) return toDateTime(Number(text));
	if (!STARTS_WITH_YEAR.test(text)) return validOrNull(DateTime.fromRFC2822(text));
	return (
		validOrNull(DateTime.fromISO(text, { zone: 'utc' })) ??
		validOrNull(DateTime.fromSQL(text, { zone: 'utc' }))
	);
}

const validOrNull = (dateTime: DateTime) => (dateTime.isValid ? dateTime : null);

const SENSITIVE_HEADER =
	/authorization|cookie|signature|secret|token|api-key|apikey|hmac|password/i;

/**
 * Header copy for the output item: values of anything that authenticates the sender are replaced,
 * and so are the `alsoRedact` headers (e.g. a custom signature header with an unrevealing name).
 */
export function redactHeaders(
	headers: HeaderMap,
	alsoRedact: readonly string[] = [],
): Record<string, string> {
	const extra = new Set(alsoRedact.map((name) => name.trim().toLowerCase()));
	const redacted: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined) continue;
		const text = Array.isArray(value) ? value.join(', ') : value;
		const sensitive = SENSITIVE_HEADER.test(name) || extra.has(name.toLowerCase());
		redacted[name] = sensitive ? '[redacted]' : text;
	}
	return redacted;
}
