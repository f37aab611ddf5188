import get from 'lodash/get';
import { DateTime } from 'luxon';

import { toDateTime } from '../envelope';
import type { RecordPosition } from './contracts';
import { PollResponseError } from './errors';

export type CursorKind = 'timestamp' | 'number';
export type CursorFormat = 'iso' | 'epochSeconds' | 'epochMillis';

/** The records array of one page: at the dotted `recordsPath`, or the body itself when it is ''. */
export function extractRecords(body: unknown, recordsPath: string): unknown[] {
	const path = recordsPath.trim();
	if (path === '') {
		if (Array.isArray(body)) return body;
		throw new PollResponseError(
			`The response body is not an array (Records Path is empty, so the body itself must be the records array); got ${describe(body)}`,
		);
	}
	const records: unknown = body !== null && typeof body === 'object' ? get(body, path) : undefined;
	if (records === undefined) {
		throw new PollResponseError(`The response has nothing at the records path "${path}"`);
	}
	if (!Array.isArray(records)) {
		throw new PollResponseError(
			`The records path "${path}" does not hold an array; got ${describe(records)}`,
		);
	}
	return records;
}

/** A record's id and cursor, read at the dotted paths; `index` is its position in the poll. */
export function recordPosition(
	record: unknown,
	index: number,
	fields: { cursorPath: string; idPath: string; kind: CursorKind },
): RecordPosition {
	const rawId: unknown = get(record, fields.idPath);
	const id =
		typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId))
			? String(rawId)
			: '';
	if (id === '') {
		throw new PollResponseError(
			`Record ${index} has no id at "${fields.idPath}"${rawId === undefined ? '' : `; got ${describe(rawId)}`}`,
		);
	}
	const raw: unknown = get(record, fields.cursorPath);
	if (raw === undefined || raw === null || raw === '') {
		throw new PollResponseError(
			`Record ${index} (id ${id}) has no cursor value at "${fields.cursorPath}"`,
		);
	}
	const cursorValue = toCursorValue(raw, fields.kind);
	if (cursorValue === null) {
		const expected = fields.kind === 'timestamp' ? 'a date or epoch time' : 'a number';
		throw new PollResponseError(
			`Record ${index} (id ${id}) has a cursor at "${fields.cursorPath}" that is not ${expected}: ${describe(raw)}`,
		);
	}
	return { id, cursorValue };
}

/**
 * A raw cursor as a comparable number, else null. Timestamps become epoch ms: ISO 8601 with or
 * without zone (without = UTC), SQL text, epoch seconds or ms (numbers or numeric text, told apart
 * by size). Sub-millisecond digits are truncated, so the boundary asked for never passes a record.
 * Numbers beyond 2^53 are refused: they would compare wrong and skip or repeat records.
 */
export function toCursorValue(raw: unknown, kind: CursorKind): number | null {
	if (kind === 'timestamp') {
		return utcIsoMillis(raw) ?? toDateTime(raw)?.toMillis() ?? null;
	}
	const value =
		typeof raw === 'number'
			? raw
			: typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)
				? Number(raw)
				: NaN;
	if (!Number.isFinite(value)) return null;
	return Number.isInteger(value) && !Number.isSafeInteger(value) ? null : value;
}

/** UTC ISO 8601 to the millisecond, as most APIs write it: `2026-01-01T00:00:00.000Z`. */
const UTC_ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/**
 * The common case read natively: a drain reads one cursor per record, and luxon's ISO parse costs
 * several times Date.parse. Only text Date.parse reads back to itself counts (Date.parse rolls
 * 2026-02-30 over to March, luxon refuses it); anything else goes through luxon.
 */
function utcIsoMillis(raw: unknown): number | null {
	if (typeof raw !== 'string' || !UTC_ISO_MILLIS.test(raw)) return null;
	const ms = Date.parse(raw);
	if (Number.isNaN(ms)) return null;
	const iso = new Date(ms).toISOString();
	return iso === raw || iso === `${raw.slice(0, -1)}.000Z` ? ms : null;
}

/**
 * A cursor value as the API expects it in a query string. Epoch values are floored so a `>=`
 * filter still includes the boundary record.
 */
export function fromCursorValue(value: number, kind: CursorKind, format: CursorFormat): string {
	if (kind === 'number') return String(value);
	if (format === 'epochSeconds') return String(Math.floor(value / 1000));
	if (format === 'epochMillis') return String(Math.floor(value));
	const iso = DateTime.fromMillis(Math.floor(value), { zone: 'utc' }).toISO();
	if (iso === null) throw new PollResponseError(`The cursor ${value} is outside the date range`);
	return iso;
}

function describe(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	if (typeof value === 'object') return 'an object';
	const text = JSON.stringify(value) ?? String(value);
	return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
