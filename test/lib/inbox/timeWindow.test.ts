import { InboxError } from '../../../lib/inbox/InboxError';
import { parseTimeWindow } from '../../../lib/inbox/timeWindow';

describe('parseTimeWindow', () => {
	it('leaves empty sides open', () => {
		expect(parseTimeWindow('', undefined)).toEqual({ from: undefined, to: undefined });
	});

	it('reads ISO text without an offset as UTC', () => {
		expect(parseTimeWindow('2026-03-01T12:00:00', null).from).toBe(
			Date.parse('2026-03-01T12:00:00Z'),
		);
	});

	it('reads epoch seconds and epoch milliseconds alike', () => {
		const ms = Date.parse('2026-03-01T12:00:00Z');
		expect(parseTimeWindow(ms / 1000, ms + 1)).toEqual({ from: ms, to: ms + 1 });
	});

	it('reads a date value', () => {
		expect(parseTimeWindow(new Date(5_000_000_000_000), '').from).toBe(5_000_000_000_000);
	});

	it('refuses text that is no date, naming the side', () => {
		expect(() => parseTimeWindow('yesterday', '')).toThrow(/"From" is not a date/);
	});

	it('refuses a window that ends before it starts', () => {
		expect(() => parseTimeWindow('2026-03-02', '2026-03-01')).toThrow(InboxError);
	});
});
