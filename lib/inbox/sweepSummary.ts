/**
 * What the last recovery sweep of a namespace found, kept in the store's cursor port so the
 * Stats operation (possibly in another workflow) can report the recovery rate.
 */
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

/** The cursor key a namespace's sweep summary is kept under. */
export const sweepSummaryKey = (namespace: string): string => `inbox-sweep:${namespace}`;

export function summarizeSweep(
	counts: Pick<SweepSummary, 'examined' | 'recovered' | 'deadLettered'>,
	finishedAt: number,
): SweepSummary {
	const rate = counts.examined === 0 ? 0 : (counts.recovered / counts.examined) * 100;
	return {
		...counts,
		recoveryRatePercent: Math.round(rate * 100) / 100,
		finishedAt: new Date(finishedAt).toISOString(),
	};
}

/** A stored summary, or null when the value under the key is not one (never written, or foreign). */
export function readSweepSummary(value: unknown): SweepSummary | null {
	if (value === null || typeof value !== 'object') return null;
	const summary = value as Partial<SweepSummary>;
	const numbers = [
		summary.examined,
		summary.recovered,
		summary.deadLettered,
		summary.recoveryRatePercent,
	];
	if (!numbers.every((number) => typeof number === 'number')) return null;
	if (typeof summary.finishedAt !== 'string') return null;
	return summary as SweepSummary;
}
