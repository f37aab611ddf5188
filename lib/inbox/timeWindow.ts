import { toDateTime } from '../envelope';
import { InboxError } from './InboxError';

/** A receivedAt range as the inbox port takes it: from inclusive, to exclusive, epoch ms. */
export interface TimeWindow {
	from?: number;
	to?: number;
}

/**
 * A window from what a person typed or an expression gave: a date value, ISO 8601, SQL or RFC 2822
 * text, or epoch seconds or milliseconds. Empty sides are open.
 */
export function parseTimeWindow(from: unknown, to: unknown): TimeWindow {
	const window = { from: readBound(from, 'From'), to: readBound(to, 'To') };
	if (window.from !== undefined && window.to !== undefined && window.from >= window.to) {
		throw new InboxError(
			`"From" (${new Date(window.from).toISOString()}) must be before "To" (${new Date(window.to).toISOString()})`,
			'invalidWindow',
		);
	}
	return window;
}

function readBound(value: unknown, name: string): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const dateTime = value instanceof Date ? toDateTime(value.getTime()) : toDateTime(value);
	if (dateTime === null) {
		throw new InboxError(
			`"${name}" is not a date: ${JSON.stringify(value)}. Use ISO 8601 such as 2026-03-01T12:00:00Z, or epoch seconds or milliseconds.`,
			'invalidWindow',
		);
	}
	return dateTime.toMillis();
}
