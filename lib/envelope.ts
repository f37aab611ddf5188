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

export function headerValue(headers: HeaderMap, name: string): string | undefined {
	const value = headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

export function readField(
	source: FieldSource,
	headers: HeaderMap,
	body: unknown,
): string | undefined {
	for (const name of source.header ?? []) {
		const value = headerValue(headers, name);
		if (value !== undefined && value !== '') return value;
	}
	if (source.bodyPath && body !== null && typeof body === 'object') {
		const value: unknown = get(body, source.bodyPath);
		if (typeof value === 'string' && value !== '') return value;
		if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	}
	return undefined;
}

/** Epoch seconds or milliseconds (told apart by size), ISO 8601 or RFC 2822 strings, to ISO; else null. */
export function toIsoTimestamp(value: unknown): string | null {
	if (typeof value === 'number' && Number.isFinite(value)) {
		const dateTime = value > 1e11 ? DateTime.fromMillis(value) : DateTime.fromSeconds(value);
		return dateTime.isValid ? dateTime.toUTC().toISO() : null;
	}
	if (typeof value !== 'string' || value.trim() === '') return null;
	if (/^\d+(\.\d+)?$/.test(value.trim())) return toIsoTimestamp(Number(value));
	for (const parsed of [
		DateTime.fromISO(value, { setZone: true }),
		DateTime.fromRFC2822(value),
		DateTime.fromSQL(value),
	]) {
		if (parsed.isValid) return parsed.toUTC().toISO();
	}
	return null;
}

const SENSITIVE_HEADER =
	/authorization|cookie|signature|secret|token|api-key|apikey|hmac|password/i;

/** Header copy for the output item: values of anything that authenticates the sender are replaced. */
export function redactHeaders(headers: HeaderMap): Record<string, string> {
	const redacted: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined) continue;
		const text = Array.isArray(value) ? value.join(', ') : value;
		redacted[name] = SENSITIVE_HEADER.test(name) ? '[redacted]' : text;
	}
	return redacted;
}
