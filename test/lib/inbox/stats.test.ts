import {
	assembleStats,
	cursorLag,
	DAY_MS,
	HOUR_MS,
	KeyCounts,
	type StatsInput,
} from '../../../lib/inbox/stats';
import type { InboxTally } from '../../../lib/store/DeliveryInbox';
import type { KeyRecord } from '../../../lib/store/IdempotencyStore';
import { keyRecord, NOW } from './records';

const tally = (fields: Partial<InboxTally> = {}): InboxTally => ({
	kept: 0,
	repeats: 0,
	rejected: {},
	dropped: 0,
	...fields,
});

const input = ({
	records = [],
	...fields
}: Partial<StatsInput> & { records?: KeyRecord[] }): StatsInput => ({
	namespace: 'webhook:orders',
	now: NOW,
	tallyLastHour: tally(),
	tallyLastDay: tally(),
	lastSweep: null,
	evictions: 0,
	cursors: [],
	keys: new KeyCounts(NOW).add(records),
	...fields,
});

describe('assembleStats', () => {
	it('counts keys by state, with stuck claims apart', () => {
		const stats = assembleStats(
			input({
				records: [
					keyRecord('completed'),
					keyRecord('completed'),
					keyRecord('deadLetter'),
					keyRecord('inProgress'),
					keyRecord('inProgress', { leaseExpiresAt: NOW - 1 }),
					keyRecord('released'),
				],
			}),
		);
		expect([stats.keys, stats.deadLetters, stats.stuck]).toEqual([
			{ inProgress: 2, completed: 2, released: 1, deadLetter: 1, total: 6 },
			1,
			1,
		]);
	});

	it('gives the age of the oldest claim in progress in seconds', () => {
		const stats = assembleStats(
			input({
				records: [
					keyRecord('inProgress', { claimedAt: NOW - 90_000 }),
					keyRecord('inProgress', { claimedAt: NOW - 30_000 }),
					keyRecord('completed', { claimedAt: NOW - 900_000 }),
				],
			}),
		);
		expect(stats.oldestInProgressSeconds).toBe(90);
	});

	it('gives no oldest age when nothing is in progress', () => {
		expect(assembleStats(input({})).oldestInProgressSeconds).toBeNull();
	});

	it('counts releases and crashes of keys changed in the last hour and day', () => {
		const stats = assembleStats(
			input({
				records: [
					keyRecord('released', { releases: 2, updatedAt: NOW - HOUR_MS }),
					keyRecord('inProgress', { crashes: 1, updatedAt: NOW - 2 * HOUR_MS }),
					keyRecord('deadLetter', { releases: 5, crashes: 5, updatedAt: NOW - DAY_MS - 1 }),
				],
			}),
		);
		expect([stats.releases, stats.crashes]).toEqual([
			{ lastHour: 2, lastDay: 2 },
			{ lastHour: 0, lastDay: 1 },
		]);
	});

	it('reports deliveries accepted, duplicate and rejected by reason', () => {
		const stats = assembleStats(
			input({
				tallyLastHour: tally({ kept: 3, repeats: 1, rejected: { invalidSignature: 2 } }),
				tallyLastDay: tally({
					kept: 9,
					repeats: 2,
					rejected: { invalidSignature: 2, tooLarge: 1 },
					dropped: 4,
				}),
			}),
		);
		expect(stats.deliveries).toEqual({
			lastHour: {
				accepted: 3,
				duplicate: 1,
				rejected: 2,
				rejectedByReason: { invalidSignature: 2 },
			},
			lastDay: {
				accepted: 9,
				duplicate: 2,
				rejected: 3,
				rejectedByReason: { invalidSignature: 2, tooLarge: 1 },
			},
			droppedByBound: 4,
		});
	});

	it("carries the last sweep's recovery rate and the store's evictions", () => {
		const lastSweep = {
			examined: 100,
			recovered: 2,
			deadLettered: 0,
			recoveryRatePercent: 2,
			finishedAt: '2026-03-01T11:55:00.000Z',
		};
		const stats = assembleStats(input({ lastSweep, evictions: 7 }));
		expect([stats.recoveryRatePercent, stats.lastSweep, stats.evictions]).toEqual([
			2,
			lastSweep,
			7,
		]);
	});

	it('reports a recovery rate of 0 before any sweep ran', () => {
		expect(assembleStats(input({})).recoveryRatePercent).toBe(0);
	});

	it('reports each named cursor', () => {
		const stats = assembleStats(
			input({
				cursors: [
					{ key: 'erp', state: { value: NOW - 30_000, seenIds: [] } },
					{ key: 'gone', state: undefined },
				],
			}),
		);
		expect(stats.cursorLag).toEqual({ erp: { value: NOW - 30_000, lagSeconds: 30 }, gone: null });
	});
});

describe('cursorLag', () => {
	it('has no lag for a sequence cursor', () => {
		expect(cursorLag({ value: 1234, seenIds: [] }, NOW)).toEqual({ value: 1234, lagSeconds: null });
	});

	it('has no value for a cursor that never advanced', () => {
		expect(cursorLag({ value: null, seenIds: [] }, NOW)).toEqual({ value: null, lagSeconds: null });
	});
});
