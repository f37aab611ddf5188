import { DateTime } from 'luxon';

import { toOrderingVersion } from '../../../lib/idempotency/orderingVersion';

const NOON_UTC = Date.parse('2025-06-15T12:00:00Z');

describe('toOrderingVersion', () => {
	it.each([
		[7, 7],
		[1.5, 1.5],
		[1_750_000_000, 1_750_000_000],
		['42', 42],
		[' 3.25 ', 3.25],
		['-2', -2],
	])('takes the number %p as it is', (value, expected) => {
		expect(toOrderingVersion(value)).toBe(expected);
	});

	it.each([
		['ISO 8601 in UTC', '2025-06-15T12:00:00Z'],
		['ISO 8601 with an offset', '2025-06-15T14:00:00+02:00'],
		['SQL text without offset (UTC)', '2025-06-15 12:00:00'],
		['RFC 2822', 'Sun, 15 Jun 2025 12:00:00 +0000'],
		['a Date', new Date(NOON_UTC)],
		['a Luxon DateTime', DateTime.fromMillis(NOON_UTC, { zone: 'Asia/Tokyo' })],
	])('turns %s into epoch milliseconds', (_, value) => {
		expect(toOrderingVersion(value)).toBe(NOON_UTC);
	});

	it.each([
		['undefined', undefined],
		['null', null],
		['empty text', ''],
		['text that is no date', 'yesterday-ish'],
		['NaN', Number.NaN],
		['Infinity', Infinity],
		['an invalid Date', new Date('nope')],
		['an object', { v: 1 }],
		['a boolean', true],
	])('answers undefined for %s', (_, value) => {
		expect(toOrderingVersion(value)).toBeUndefined();
	});
});
