import { DAY_MS } from '../../../lib/inbox/durations';
import {
	readSweepLog,
	recordSweep,
	recoveredSince,
	sweepLogKey,
} from '../../../lib/inbox/sweepSummary';
import { NOW } from './records';

describe('sweep log', () => {
	it('gives the last sweep its recovery rate in percent, two decimals', () => {
		expect(recordSweep(undefined, { examined: 300, recovered: 2, deadLettered: 0 }, NOW)).toEqual({
			lastSweep: {
				examined: 300,
				recovered: 2,
				deadLettered: 0,
				recoveryRatePercent: 0.67,
				finishedAt: '2026-03-01T12:00:00.000Z',
			},
			recoveries: [[NOW, 2]],
		});
	});

	it('gives a rate of 0 when nothing was examined, and logs no recovery', () => {
		const log = recordSweep(undefined, { examined: 0, recovered: 0, deadLettered: 0 }, NOW);
		expect([log.lastSweep.recoveryRatePercent, log.recoveries]).toEqual([0, []]);
	});

	it("keeps the last day's recoveries and drops older ones", () => {
		const first = recordSweep(undefined, { examined: 5, recovered: 1, deadLettered: 0 }, NOW);
		const second = recordSweep(first, { examined: 5, recovered: 2, deadLettered: 0 }, NOW + 60_000);
		const dayLater = recordSweep(
			second,
			{ examined: 5, recovered: 0, deadLettered: 0 },
			NOW + DAY_MS,
		);
		expect([second.recoveries, dayLater.recoveries]).toEqual([
			[
				[NOW, 1],
				[NOW + 60_000, 2],
			],
			[[NOW + 60_000, 2]],
		]);
	});

	it('reads back what it wrote, through JSON', () => {
		const log = recordSweep(undefined, { examined: 4, recovered: 1, deadLettered: 1 }, NOW);
		expect(readSweepLog(JSON.parse(JSON.stringify(log)))).toEqual(log);
	});

	it.each([undefined, null, 'text', { lastSweep: { examined: 1 }, recoveries: [] }])(
		'reads %p as no log',
		(value) => {
			expect(readSweepLog(value)).toBeNull();
		},
	);

	it('sums the recoveries after a time', () => {
		const log = recordSweep(
			recordSweep(undefined, { examined: 5, recovered: 3, deadLettered: 0 }, NOW - 10),
			{ examined: 5, recovered: 2, deadLettered: 0 },
			NOW,
		);
		expect([recoveredSince(log, NOW - 10), recoveredSince(null, 0)]).toEqual([2, 0]);
	});

	it('keys the log by namespace', () => {
		expect(sweepLogKey('webhook:orders')).toBe('inbox-sweep:webhook:orders');
	});
});
