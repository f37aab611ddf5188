import type { KeyRecord } from '../store/IdempotencyStore';

import { ReconcileError } from './ReconcileError';

/** Where a source record of the window goes. */
export type Classification = 'missing' | 'handled' | 'changed' | 'inProgress' | 'deadLetter';

export interface SourceEntry {
	key: string;
	/** The record's version or updated-at (epoch ms) from the source; optional. */
	version?: number;
}

/**
 * Classifies each source record by what the store knows of its key, in input order.
 *
 * - missing: no live record, or `released` (claimed but never completed: the next claim wins it),
 *   or, given `now`, `inProgress` with a lease that ran out (the store treats it as released).
 * - inProgress: claimed, lease still running: someone is on it, the sweep must not compete.
 * - deadLetter: failed `maxAttempts` times; the store refuses new claims, so recovering it would
 *   only fail again. Kept apart (not missing, not handled) so a poison record is neither retried
 *   by every sweep nor hidden: it needs a person.
 * - changed: completed, and the source version is newer than the handled one.
 * - handled: completed, and not known to be newer.
 *
 * The handled version is the ordering guard's (`store.readVersions(namespace, entities)`, same
 * namespace, one entity per entry), not the completed record's `result`: the guard's version is
 * written atomically, never lowered, and only by that guard, while `result` is whatever the
 * workflow chose to store. Without a handled version, or without a source version, a completed
 * key counts as handled: re-running work that may already be done is the costlier mistake.
 */
export function classifyAgainstStore(
	entries: readonly SourceEntry[],
	records: ReadonlyArray<KeyRecord | undefined>,
	handledVersions?: ReadonlyArray<number | undefined>,
	now?: number,
): Classification[] {
	if (
		records.length !== entries.length ||
		(handledVersions && handledVersions.length !== entries.length)
	) {
		throw new ReconcileError(
			`Expected one store record${handledVersions ? ' and one handled version' : ''} per entry (${entries.length}), got ${records.length}${handledVersions ? ` and ${handledVersions.length}` : ''}`,
			'misalignedInput',
		);
	}
	return entries.map((entry, index) => {
		const record = records[index];
		if (record !== undefined && record.key !== entry.key) {
			throw new ReconcileError(
				`Store record ${index} is for key '${record.key}', not '${entry.key}'`,
				'misalignedInput',
			);
		}
		return classifyOne(entry, record, handledVersions?.[index], now);
	});
}

function classifyOne(
	entry: SourceEntry,
	record: KeyRecord | undefined,
	handledVersion: number | undefined,
	now: number | undefined,
): Classification {
	switch (record?.state) {
		case undefined:
		case 'released':
			return 'missing';
		case 'deadLetter':
			return 'deadLetter';
		case 'inProgress':
			return now !== undefined && (record.leaseExpiresAt ?? record.expiresAt) <= now
				? 'missing'
				: 'inProgress';
		case 'completed':
			return isNewer(entry.version, handledVersion) ? 'changed' : 'handled';
	}
}

const isNewer = (version: number | undefined, handled: number | undefined): boolean =>
	version !== undefined &&
	handled !== undefined &&
	Number.isFinite(version) &&
	Number.isFinite(handled) &&
	version > handled;

/** How many records went each way. */
export function countClassifications(
	classes: readonly Classification[],
): Record<Classification, number> {
	const counts = { missing: 0, handled: 0, changed: 0, inProgress: 0, deadLetter: 0 };
	for (const kind of classes) counts[kind]++;
	return counts;
}

/** Recovery rate above which the webhook path is taken to be broken (shared reliability patterns). */
export const DEFAULT_ALERT_THRESHOLD = 0.01;

export interface ReconcileReport<W> {
	window: W;
	/** Every source record of the window that was classified, whatever its class. */
	processed: number;
	/** Completed before the sweep and unchanged since. */
	alreadyHandled: number;
	/** Never handled and sent to processing by the sweep (with claim on: the claims it won). */
	recovered: number;
	/** Handled, but the source has a newer version; sent to processing again. */
	changed: number;
	/** Claimed by someone else and still within its lease; left alone. */
	inProgress: number;
	/** Failed too often; left alone, needs a person. */
	deadLetter: number;
	/** recovered / processed, a fraction from 0 to 1; 0 for an empty window. */
	recoveryRate: number;
	durationMs: number;
}

export interface BuildReportInput<W> {
	window: W;
	/** Final counts per class; with claim on, missing records whose claim was lost count as inProgress. */
	counts: Partial<Record<Classification, number>>;
	durationMs: number;
	/** A fraction (0.01 = 1 %); the report is an alert when the recovery rate is above it. */
	alertThreshold?: number;
}

/**
 * The sweep's report, and whether it also goes out as an alert: a high recovery rate means the
 * webhook path is failing and the sweep is covering for it. Only never-handled records count as
 * recovered; changed ones are reported beside them, as an update may have been sent late on purpose.
 */
export function buildReport<W>(input: BuildReportInput<W>): {
	report: ReconcileReport<W>;
	alert: boolean;
} {
	const threshold = input.alertThreshold ?? DEFAULT_ALERT_THRESHOLD;
	if (!(threshold >= 0 && threshold <= 1)) {
		throw new ReconcileError(
			`Alert threshold must be a fraction from 0 to 1 (0.01 = 1 %), got ${threshold}`,
			'invalidOptions',
		);
	}
	if (!(Number.isFinite(input.durationMs) && input.durationMs >= 0)) {
		throw new ReconcileError(
			`Duration must be at least 0 ms, got ${input.durationMs}`,
			'invalidOptions',
		);
	}
	const count = (kind: Classification) => {
		const value = input.counts[kind] ?? 0;
		if (!Number.isSafeInteger(value) || value < 0) {
			throw new ReconcileError(
				`Count '${kind}' must be a whole number of at least 0, got ${value}`,
				'invalidOptions',
			);
		}
		return value;
	};
	const [recovered, alreadyHandled, changed, inProgress, deadLetter] = (
		['missing', 'handled', 'changed', 'inProgress', 'deadLetter'] as const
	).map(count);
	const processed = recovered + alreadyHandled + changed + inProgress + deadLetter;
	const recoveryRate = processed === 0 ? 0 : recovered / processed;
	const report: ReconcileReport<W> = {
		window: input.window,
		processed,
		alreadyHandled,
		recovered,
		changed,
		inProgress,
		deadLetter,
		recoveryRate,
		durationMs: input.durationMs,
	};
	return { report, alert: recoveryRate > threshold };
}
