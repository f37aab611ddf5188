import type { EventEnvelope } from '../../../lib/envelope';
import {
	type DeliverySettings,
	followUp,
	planDelivery,
	pollStart,
} from '../../../lib/poll/delivery';
import { StalledCursorError } from '../../../lib/poll/errors';
import type { PollConfig, PollResult } from '../../../lib/poll/pollCycle';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const TIMESTAMP = { kind: 'timestamp' } as const;
const PER_POLL: DeliverySettings = {
	commit: 'afterSuccess',
	executions: 'perPoll',
	items: 'record',
};

function envelope(id: string, cursorValue: number): EventEnvelope {
	return {
		id,
		type: null,
		occurredAt: new Date(cursorValue).toISOString(),
		receivedAt: '2026-01-02T00:00:00.000Z',
		source: 'poll',
		data: { id, updatedAt: new Date(cursorValue).toISOString() },
	};
}

/** A poll result whose records came from `pages`: one [id, cursorValue] list per page. */
function result(
	pages: Array<Array<[string, number]>>,
	overrides: Partial<PollResult> = {},
): PollResult {
	const origins = pages.flatMap((records, page) =>
		records.map(([id, cursorValue]) => ({ id, page, cursorValue })),
	);
	return {
		envelopes: origins.map(({ id, cursorValue }) => envelope(id, cursorValue)),
		envelopeOrigins: origins.map(({ page, cursorValue }) => ({ page, cursorValue })),
		next: { value: T0, seenIds: [] },
		pages: pages.length,
		fetched: origins.length,
		retries: 0,
		truncated: false,
		stalled: false,
		...overrides,
	};
}

const config = (firstRun: PollConfig['firstRun']) =>
	({ firstRun, safetyMarginMs: 5_000 }) as PollConfig;

describe('pollStart', () => {
	it('polls from the committed cursor when there is one', () => {
		const stored = { value: T0, seenIds: [] };

		expect(pollStart(stored, config({ mode: 'now' }), T0 + 60_000)).toEqual({
			kind: 'poll',
			from: stored,
		});
	});

	it('only records the start on a first run from now', () => {
		expect(pollStart(undefined, config({ mode: 'now' }), T0)).toEqual({
			kind: 'startFromNow',
			state: { value: T0 - 5_000, seenIds: [] },
		});
	});

	it('polls from the backfill date on a first backfill', () => {
		expect(pollStart(undefined, config({ mode: 'backfillFrom', fromMs: T0 }), T0 + 1)).toEqual({
			kind: 'poll',
			from: { value: T0, seenIds: [] },
		});
	});

	it('polls from the start of the feed for a first "last N"', () => {
		expect(pollStart(undefined, config({ mode: 'lastN', count: 3 }), T0)).toEqual({
			kind: 'poll',
			from: undefined,
		});
	});
});

describe('planDelivery', () => {
	const twoPages = result([
		[
			['a', T0],
			['b', T0 + 1000],
		],
		[['c', T0 + 2000]],
	]);

	it('puts every record of a poll in one execution, one item each', () => {
		const plan = planDelivery(twoPages, PER_POLL, TIMESTAMP);

		expect(plan.awaitRuns).toBe(true);
		expect(plan.batches.map((batch) => batch.map((item) => (item as EventEnvelope).id))).toEqual([
			['a', 'b', 'c'],
		]);
	});

	it('gives each record its own execution', () => {
		const plan = planDelivery(twoPages, { ...PER_POLL, executions: 'perRecord' }, TIMESTAMP);

		expect(plan.batches).toHaveLength(3);
		expect(plan.batches.every((batch) => batch.length === 1)).toBe(true);
	});

	it("makes one item per page with the page's records and cursor range", () => {
		const plan = planDelivery(twoPages, { ...PER_POLL, items: 'page' }, TIMESTAMP);

		expect(plan.batches).toEqual([
			[
				{
					records: [twoPages.envelopes[0].data, twoPages.envelopes[1].data],
					count: 2,
					page: 1,
					cursor: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:00:01.000Z' },
					receivedAt: '2026-01-02T00:00:00.000Z',
					source: 'poll',
				},
				{
					records: [twoPages.envelopes[2].data],
					count: 1,
					page: 2,
					cursor: { from: '2026-01-01T00:00:02.000Z', to: '2026-01-01T00:00:02.000Z' },
					receivedAt: '2026-01-02T00:00:00.000Z',
					source: 'poll',
				},
			],
		]);
	});

	it('numbers page items by the page they came from when a page held nothing new', () => {
		const plan = planDelivery(
			result([[], [['c', 7]]]),
			{ ...PER_POLL, items: 'page' },
			{
				kind: 'number',
			},
		);

		expect(plan.batches[0]).toMatchObject([{ page: 2, count: 1, cursor: { from: 7, to: 7 } }]);
	});

	it('emits nothing when the poll found nothing new', () => {
		expect(planDelivery(result([]), PER_POLL, TIMESTAMP).batches).toEqual([]);
	});

	it('does not wait for the runs when the cursor commits on emit', () => {
		expect(planDelivery(twoPages, { ...PER_POLL, commit: 'onEmit' }, TIMESTAMP).awaitRuns).toBe(
			false,
		);
	});
});

describe('followUp', () => {
	it('commits and waits for the interval after a complete poll', () => {
		expect(followUp(result([[['a', T0]]]), true, TIMESTAMP)).toEqual({
			commit: true,
			drainNow: false,
			stall: undefined,
		});
	});

	it('keeps the cursor when a run failed, so its records come again', () => {
		const truncated = result([[['a', T0]]], { truncated: true });

		expect(followUp(truncated, false, TIMESTAMP)).toMatchObject({ commit: false, drainNow: false });
	});

	it('drains at once after a committed poll cut short by Max Pages', () => {
		const truncated = result([[['a', T0]]], { truncated: true });

		expect(followUp(truncated, true, TIMESTAMP)).toMatchObject({ commit: true, drainNow: true });
	});

	it('does not drain a stalled poll at once', () => {
		const stalled = result([[['a', T0]]], {
			truncated: true,
			stalled: true,
			stall: { cursorValue: T0, sharing: 1, limit: 'maxPages' },
		});

		expect(followUp(stalled, true, TIMESTAMP)).toMatchObject({ drainNow: false, stall: undefined });
	});

	it('reports a stall that emitted nothing, naming the value, the count and the fix', () => {
		const stalled = result([], {
			stalled: true,
			stall: { cursorValue: T0, sharing: 5, limit: 'response' },
		});

		const { stall } = followUp(stalled, true, TIMESTAMP);

		expect(stall).toBeInstanceOf(StalledCursorError);
		expect(stall?.message).toBe(
			'The cursor cannot advance past 2026-01-01T00:00:00.000Z: 5 records seen sharing that value, and the API answered only records already emitted while it holds later ones: more records share this value than one response holds. Fix: configure Pagination so the poll reads past them, or ask for a bigger page (a limit query parameter), or set Tie-Break Query Parameter if the API accepts the last id (e.g. after_id).',
		);
	});

	it('names Max Pages per Poll when the page limit held the cursor back', () => {
		const stalled = result([], {
			truncated: true,
			stalled: true,
			stall: { cursorValue: 42, sharing: 20, limit: 'maxPages' },
		});

		expect(followUp(stalled, true, { kind: 'number' }).stall?.message).toBe(
			'The cursor cannot advance past 42: 20 records seen sharing that value, and more records share it than Max Pages per Poll x page size holds. Fix: raise Max Pages per Poll or the page size, or set Tie-Break Query Parameter if the API accepts the last id (e.g. after_id).',
		);
	});
});
