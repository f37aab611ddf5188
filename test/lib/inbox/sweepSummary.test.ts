import { readSweepSummary, summarizeSweep, sweepSummaryKey } from '../../../lib/inbox/sweepSummary';
import { NOW } from './records';

describe('sweep summary', () => {
	it('gives the recovery rate in percent, two decimals', () => {
		expect(summarizeSweep({ examined: 300, recovered: 2, deadLettered: 0 }, NOW)).toEqual({
			examined: 300,
			recovered: 2,
			deadLettered: 0,
			recoveryRatePercent: 0.67,
			finishedAt: '2026-03-01T12:00:00.000Z',
		});
	});

	it('gives a rate of 0 when nothing was examined', () => {
		expect(
			summarizeSweep({ examined: 0, recovered: 0, deadLettered: 0 }, NOW).recoveryRatePercent,
		).toBe(0);
	});

	it('reads back what it wrote', () => {
		const summary = summarizeSweep({ examined: 4, recovered: 1, deadLettered: 1 }, NOW);
		expect(readSweepSummary(JSON.parse(JSON.stringify(summary)))).toEqual(summary);
	});

	it.each([undefined, null, 'text', { examined: 1 }])('reads %p as no summary', (value) => {
		expect(readSweepSummary(value)).toBeNull();
	});

	it('keys the summary by namespace', () => {
		expect(sweepSummaryKey('webhook:orders')).toBe('inbox-sweep:webhook:orders');
	});
});
