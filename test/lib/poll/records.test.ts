import { PollResponseError } from '../../../lib/poll/errors';
import {
	extractRecords,
	fromCursorValue,
	recordPosition,
	toCursorValue,
} from '../../../lib/poll/records';

const JAN_1 = Date.UTC(2025, 0, 1, 12, 0, 0);
const timestampFields = { cursorPath: 'updated_at', idPath: 'id', kind: 'timestamp' as const };

describe('extractRecords', () => {
	it('reads the array at a dotted path', () => {
		expect(extractRecords({ data: { items: [{ id: 1 }] } }, 'data.items')).toEqual([{ id: 1 }]);
	});

	it('takes the body itself when the path is empty', () => {
		expect(extractRecords([{ id: 1 }], '')).toEqual([{ id: 1 }]);
	});

	it('refuses a body that is not an array when the path is empty', () => {
		expect(() => extractRecords({ data: [] }, '')).toThrow(/body is not an array.*Records Path/);
	});

	it('names the path when nothing is there', () => {
		expect(() => extractRecords({ data: [] }, 'results')).toThrow(
			new PollResponseError('The response has nothing at the records path "results"'),
		);
	});

	it('names the path when it holds no array', () => {
		expect(() => extractRecords({ data: { id: 1 } }, 'data')).toThrow(
			'The records path "data" does not hold an array; got an object',
		);
	});

	it('refuses a body that is not an object', () => {
		expect(() => extractRecords('<html>', 'data')).toThrow(PollResponseError);
	});
});

describe('recordPosition', () => {
	it('reads the id and the cursor at dotted paths', () => {
		const record = { meta: { key: 'abc' }, attributes: { modified: '2025-01-01T12:00:00Z' } };
		const fields = {
			cursorPath: 'attributes.modified',
			idPath: 'meta.key',
			kind: 'timestamp' as const,
		};
		expect(recordPosition(record, 0, fields)).toEqual({ id: 'abc', cursorValue: JAN_1 });
	});

	it('turns a numeric id into text', () => {
		expect(
			recordPosition({ id: 42, seq: 7 }, 0, {
				...timestampFields,
				cursorPath: 'seq',
				kind: 'number',
			}),
		).toEqual({
			id: '42',
			cursorValue: 7,
		});
	});

	it('names the id path and the record index when the id is missing', () => {
		expect(() => recordPosition({ updated_at: JAN_1 }, 3, timestampFields)).toThrow(
			'Record 3 has no id at "id"',
		);
	});

	it('refuses an id that is an object', () => {
		expect(() => recordPosition({ id: { a: 1 }, updated_at: JAN_1 }, 0, timestampFields)).toThrow(
			'Record 0 has no id at "id"; got an object',
		);
	});

	it('names the cursor path, index and id when the cursor is missing', () => {
		expect(() => recordPosition({ id: 'r1' }, 2, timestampFields)).toThrow(
			'Record 2 (id r1) has no cursor value at "updated_at"',
		);
	});

	it('names the raw value when the cursor is not a date', () => {
		expect(() => recordPosition({ id: 'r1', updated_at: 'yesterday' }, 0, timestampFields)).toThrow(
			'Record 0 (id r1) has a cursor at "updated_at" that is not a date or epoch time: "yesterday"',
		);
	});

	it('says a number was expected for a number cursor', () => {
		const fields = { ...timestampFields, kind: 'number' as const };
		expect(() => recordPosition({ id: 'r1', updated_at: 'v2' }, 0, fields)).toThrow(
			/that is not a number: "v2"/,
		);
	});
});

describe('toCursorValue', () => {
	it.each([
		['ISO with Z', '2025-01-01T12:00:00Z'],
		['ISO with an offset', '2025-01-01T14:00:00+02:00'],
		['ISO without a zone (UTC)', '2025-01-01T12:00:00'],
		['SQL text (UTC)', '2025-01-01 12:00:00'],
		['epoch seconds', JAN_1 / 1000],
		['epoch ms', JAN_1],
		['epoch seconds as text', String(JAN_1 / 1000)],
		['epoch ms as text', String(JAN_1)],
	])('reads %s', (_label, raw) => {
		expect(toCursorValue(raw, 'timestamp')).toBe(JAN_1);
	});

	it('keeps milliseconds', () => {
		expect(toCursorValue('2025-01-01T12:00:00.250Z', 'timestamp')).toBe(JAN_1 + 250);
	});

	it('truncates microseconds, so the boundary asked for stays at or below the record', () => {
		expect(toCursorValue('2025-01-01T12:00:00.250999Z', 'timestamp')).toBe(JAN_1 + 250);
	});

	it('answers null for text that is not a date', () => {
		expect(toCursorValue('not a date', 'timestamp')).toBeNull();
	});

	it('reads numbers and numeric text for a number cursor', () => {
		expect([toCursorValue(1234, 'number'), toCursorValue(' 1234 ', 'number')]).toEqual([
			1234, 1234,
		]);
	});

	it('refuses a sequence beyond 2^53, which would compare wrong', () => {
		expect(toCursorValue('12345678901234567890', 'number')).toBeNull();
	});

	it('refuses text with other characters for a number cursor', () => {
		expect(toCursorValue('12a', 'number')).toBeNull();
	});
});

describe('fromCursorValue', () => {
	it('writes ISO in UTC with milliseconds', () => {
		expect(fromCursorValue(JAN_1 + 250, 'timestamp', 'iso')).toBe('2025-01-01T12:00:00.250Z');
	});

	it('floors epoch seconds, so `>=` still includes the boundary record', () => {
		expect(fromCursorValue(JAN_1 + 999, 'timestamp', 'epochSeconds')).toBe(String(JAN_1 / 1000));
	});

	it('writes epoch milliseconds', () => {
		expect(fromCursorValue(JAN_1, 'timestamp', 'epochMillis')).toBe(String(JAN_1));
	});

	it('writes a number cursor as is, whatever the format', () => {
		expect(fromCursorValue(1234, 'number', 'iso')).toBe('1234');
	});

	it('refuses a timestamp outside the date range', () => {
		expect(() => fromCursorValue(9e15, 'timestamp', 'iso')).toThrow(PollResponseError);
	});
});

describe('toCursorValue for UTC ISO 8601 to the millisecond', () => {
	it('reads it as the same instant luxon does', () => {
		expect(toCursorValue('2026-03-01T12:34:56.789Z', 'timestamp')).toBe(
			Date.UTC(2026, 2, 1, 12, 34, 56, 789),
		);
	});

	it('refuses a day the month does not have, which Date.parse would roll over', () => {
		expect(toCursorValue('2026-02-30T00:00:00.000Z', 'timestamp')).toBeNull();
	});
});
