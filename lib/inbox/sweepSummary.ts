import { DAY_MS } from './durations';

/** What one recovery sweep found. */
export interface SweepSummary {
	/** Entries of the look-back window the sweep looked at. */
	examined: number;
	/** Entries it claimed and sent on to processing. */
	recovered: number;
	/** Entries whose claim dead-lettered their key (a crash on the last attempt). */
	deadLettered: number;
	/** recovered / examined, in percent (0 when nothing was examined). */
	recoveryRatePercent: number;
	/** ISO time the sweep finished. */
	finishedAt: string;
}

/**
 * A namespace's sweeps as kept in the store's cursor port, so the Stats operation (possibly in
 * another workflow) can report them: the last sweep, and how many deliveries each sweep of the
 * last day recovered. Two sweeps finishing at the same moment may each write their own: the log
 * is a gauge for alerts, not an account.
 */
export interface SweepLog {
	lastSweep: SweepSummary;
	/** [finished at (epoch ms), recovered] of the last day's sweeps that recovered something. */
	recoveries: Array<[number, number]>;
}

/** Bounds the log whatever the schedule: a sweep a minute for a day fits. */
const MAX_RECOVERIES = 2_000;

/** The cursor key a namespace's sweep log is kept under. */
export const sweepLogKey = (namespace: string): string => `inbox-sweep:${namespace}`;

/** The log after a sweep with these counts finished, from the log stored before it (if any). */
export function recordSweep(
	stored: unknown,
	counts: Pick<SweepSummary, 'examined' | 'recovered' | 'deadLettered'>,
	finishedAt: number,
): SweepLog {
	const rate = counts.examined === 0 ? 0 : (counts.recovered / counts.examined) * 100;
	const earlier = (readSweepLog(stored)?.recoveries ?? []).filter(
		([at]) => at > finishedAt - DAY_MS,
	);
	const recoveries: Array<[number, number]> =
		counts.recovered > 0 ? [...earlier, [finishedAt, counts.recovered]] : earlier;
	return {
		lastSweep: {
			...counts,
			recoveryRatePercent: Math.round(rate * 100) / 100,
			finishedAt: new Date(finishedAt).toISOString(),
		},
		recoveries: recoveries.slice(-MAX_RECOVERIES),
	};
}

/** A stored log, or null when the value under the key is not one (never written, or foreign). */
export function readSweepLog(value: unknown): SweepLog | null {
	if (value === null || typeof value !== 'object') return null;
	const { lastSweep, recoveries } = value as Partial<SweepLog>;
	if (lastSweep === null || typeof lastSweep !== 'object' || !Array.isArray(recoveries)) {
		return null;
	}
	const numbers = [
		lastSweep.examined,
		lastSweep.recovered,
		lastSweep.deadLettered,
		lastSweep.recoveryRatePercent,
	];
	if (!numbers.every((number) => typeof number === 'number')) return null;
	if (typeof lastSweep.finishedAt !== 'string') return null;
	return { lastSweep, recoveries };
}

/** Deliveries the logged sweeps recovered after `since` (epoch ms). */
export const recoveredSince = (log: SweepLog | null, since: number): number =>
	(log?.recoveries ?? [])
		.filter(([at]) => at > since)
		.reduce((sum, [, recovered]) => sum + recovered, 0);
