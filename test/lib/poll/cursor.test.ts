import type { CursorOptions, CursorState, RecordPosition } from '../../../lib/poll/contracts';
import { advanceCursor, queryLowerBound, tieBreakId } from '../../../lib/poll/cursor';

const NOW = 1_750_000_100_000;
const options: CursorOptions = {
	lookbackMs: 60_000,
	safetyMarginMs: 5_000,
	nowMs: NOW,
	kind: 'timestamp',
};
const noLookback: CursorOptions = { ...options, lookbackMs: 0 };
const at = (id: string, cursorValue: number): RecordPosition => ({ id, cursorValue });
const state = (value: number | null, seenIds: CursorState['seenIds'] = []): CursorState => ({
	value,
	seenIds,
});

describe('queryLowerBound', () => {
	it('answers null on the first run: ask without a lower bound', () => {
		expect(queryLowerBound(state(null), options)).toBeNull();
	});

	it('answers the boundary minus the lookback for timestamps', () => {
		expect(queryLowerBound(state(NOW - 10_000), options)).toBe(NOW - 70_000);
	});

	it('answers the boundary itself without a lookback', () => {
		expect(queryLowerBound(state(NOW - 10_000), noLookback)).toBe(NOW - 10_000);
	});

	it('subtracts the lookback in the sequence units for numbers', () => {
		expect(queryLowerBound(state(500), { lookbackMs: 20, kind: 'number' })).toBe(480);
	});
});

describe('advanceCursor', () => {
	const base = NOW - 30_000;

	it('emits every record of the first run and moves to the highest cursor', () => {
		const records = [at('b', base + 2), at('a', base + 1)];
		const { fresh, next } = advanceCursor(state(null), records, options);
		expect(fresh).toEqual([0, 1]);
		expect(next.value).toBe(base + 2);
	});

	it('keeps a null boundary when the first run read nothing', () => {
		expect(advanceCursor(state(null), [], options).next).toEqual(state(null));
	});

	it('keeps the state when a poll read nothing', () => {
		const current = state(base, [['a', base]]);
		expect(advanceCursor(current, [], options).next).toEqual(current);
	});

	it('answers the fresh positions in input order whatever the record order', () => {
		const records = [at('c', base + 3), at('a', base + 1), at('b', base + 2)];
		expect(advanceCursor(state(base), records, options).fresh).toEqual([0, 1, 2]);
	});

	it('drops a boundary tie already emitted and emits a new record with the same cursor', () => {
		const records = [at('a', base), at('b', base)];
		expect(advanceCursor(state(base, [['a', base]]), records, options).fresh).toEqual([1]);
	});

	it('emits a record again when it was updated to a newer cursor (a new version)', () => {
		const records = [at('a', base + 10)];
		expect(advanceCursor(state(base, [['a', base]]), records, options).fresh).toEqual([0]);
	});

	it('emits the same version only once when a batch holds it twice', () => {
		const records = [at('a', base + 1), at('a', base + 1)];
		expect(advanceCursor(state(base), records, options).fresh).toEqual([0]);
	});

	it('emits both versions when a batch holds one id at two cursors', () => {
		const records = [at('a', base + 1), at('a', base + 2)];
		expect(advanceCursor(state(base), records, options).fresh).toEqual([0, 1]);
	});

	it('emits a late write behind the boundary but inside the lookback', () => {
		expect(advanceCursor(state(base), [at('late', base - 59_000)], options).fresh).toEqual([0]);
	});

	it('drops a re-read record inside the lookback that was emitted before', () => {
		const current = state(base, [['old', base - 20_000]]);
		expect(advanceCursor(current, [at('old', base - 20_000)], options).fresh).toEqual([]);
	});

	it('drops a record below the lookback (a late write outside the window: documented loss)', () => {
		const { fresh, next } = advanceCursor(state(base), [at('tooLate', base - 61_000)], options);
		expect(fresh).toEqual([]);
		expect(next).toEqual(state(base));
	});

	it('never moves the boundary back when only older records arrived', () => {
		expect(advanceCursor(state(base), [at('late', base - 1_000)], options).next.value).toBe(base);
	});

	it('moves past already-seen records too (the highest cursor read counts)', () => {
		const current = state(base, [['a', base + 5]]);
		expect(advanceCursor(current, [at('a', base + 5)], options).next.value).toBe(base + 5);
	});

	it('never moves a timestamp boundary past now minus the safety margin', () => {
		const { fresh, next } = advanceCursor(state(base), [at('recent', NOW - 1_000)], options);
		expect(fresh).toEqual([0]);
		expect(next.value).toBe(NOW - 5_000);
	});

	it('keeps a record above the clamped boundary in seenIds, so the next poll drops it', () => {
		const first = advanceCursor(state(base), [at('recent', NOW - 1_000)], options);
		expect(first.next.seenIds).toContainEqual(['recent', NOW - 1_000]);
		const second = advanceCursor(first.next, [at('recent', NOW - 1_000)], {
			...options,
			nowMs: NOW + 10_000,
		});
		expect(second.fresh).toEqual([]);
		expect(second.next.value).toBe(NOW - 1_000);
	});

	it('keeps the old boundary when the clamp would be below it', () => {
		const ahead = NOW - 2_000;
		const next = advanceCursor(state(ahead), [at('x', NOW)], options).next;
		expect(next.value).toBe(ahead);
	});

	it('does not clamp a number cursor to the clock', () => {
		const numbers: CursorOptions = { ...options, kind: 'number', lookbackMs: 0 };
		const next = advanceCursor(state(10), [at('x', NOW * 2)], numbers).next;
		expect(next.value).toBe(NOW * 2);
	});

	it('forgets seen versions that fell out of the lookback window of the new boundary', () => {
		const current = state(base, [
			['old', base - 50_000],
			['kept', base - 10_000],
		]);
		const { next } = advanceCursor(current, [at('new', base + 20_000)], options);
		expect(next.seenIds).toEqual([
			['kept', base - 10_000],
			['new', base + 20_000],
		]);
	});

	it('remembers each version once', () => {
		const current = state(base, [['a', base]]);
		const { next } = advanceCursor(current, [at('a', base), at('a', base)], noLookback);
		expect(next.seenIds).toEqual([['a', base]]);
	});

	it('remembers the boundary ties without a lookback, so they are dropped next poll', () => {
		const { next } = advanceCursor(state(base), [at('a', base + 1), at('b', base + 1)], noLookback);
		expect(next).toEqual(
			state(base + 1, [
				['a', base + 1],
				['b', base + 1],
			]),
		);
	});

	it('does not change the state it was given', () => {
		const current = state(base, [['a', base]]);
		advanceCursor(current, [at('b', base + 1)], options);
		expect(current).toEqual(state(base, [['a', base]]));
	});
});

describe('tieBreakId', () => {
	it('answers the last id emitted at exactly the boundary', () => {
		const boundary = NOW - 60_000;
		const seen: CursorState['seenIds'] = [
			['a', boundary],
			['b', boundary],
			['c', boundary + 1],
		];

		expect(tieBreakId(state(boundary, seen), 0)).toBe('b');
	});

	it('answers nothing when no record was emitted at the boundary', () => {
		expect(tieBreakId(state(NOW, [['a', NOW + 1]]), 0)).toBeUndefined();
	});

	it('answers nothing with a lookback, whose re-read it would cut short', () => {
		expect(tieBreakId(state(NOW, [['a', NOW]]), 60_000)).toBeUndefined();
	});

	it('answers nothing on the first run', () => {
		expect(tieBreakId(state(null), 0)).toBeUndefined();
	});
});
