import type { InboxTally } from '../store/DeliveryInbox';
import type { KeyRecord, KeyState } from '../store/IdempotencyStore';
import { entryState } from './entryState';
import type { SweepSummary } from './sweepSummary';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

interface ChangeCounts {
	lastHour: number;
	lastDay: number;
}

/**
 * Counts over a namespace's key records, fed page by page so a million keys are never held at
 * once.
 *
 * Releases and crashes are counters on each key, not a log: "in the last hour" counts those of
 * keys changed in the last hour. A key released long ago and touched again since counts its whole
 * history; a quiet key counts nothing.
 */
export class KeyCounts {
	readonly byState: Record<KeyState, number> = {
		inProgress: 0,
		completed: 0,
		released: 0,
		deadLetter: 0,
	};
	readonly releases: ChangeCounts = { lastHour: 0, lastDay: 0 };
	readonly crashes: ChangeCounts = { lastHour: 0, lastDay: 0 };
	total = 0;
	stuck = 0;
	oldestClaimedAt: number | undefined;

	constructor(private readonly now: number) {}

	add(records: Iterable<KeyRecord>): this {
		for (const record of records) {
			this.total++;
			this.byState[record.state]++;
			if (entryState(record, this.now) === 'stuck') this.stuck++;
			if (record.state === 'inProgress' && record.claimedAt !== undefined) {
				this.oldestClaimedAt = Math.min(this.oldestClaimedAt ?? record.claimedAt, record.claimedAt);
			}
			for (const [window, field] of WINDOWS) {
				if (this.now - record.updatedAt > window) continue;
				this.releases[field] += record.releases ?? 0;
				this.crashes[field] += record.crashes ?? 0;
			}
		}
		return this;
	}
}

const WINDOWS = [
	[HOUR_MS, 'lastHour'],
	[DAY_MS, 'lastDay'],
] as const;

/** Everything the Stats operation read from the store, as plain values. */
export interface StatsInput {
	namespace: string;
	now: number;
	keys: KeyCounts;
	tallyLastHour: InboxTally;
	tallyLastDay: InboxTally;
	lastSweep: SweepSummary | null;
	evictions: number;
	/** Named poll cursors as stored (Cursor Poll Trigger's state), undefined when absent. */
	cursors: ReadonlyArray<{ key: string; state: unknown }>;
}

/** The one item a health check reads: counts an IF node can compare, ages in seconds. */
export function assembleStats(input: StatsInput) {
	const { now, keys } = input;
	return {
		namespace: input.namespace,
		at: new Date(now).toISOString(),
		keys: { ...keys.byState, total: keys.total },
		deadLetters: keys.byState.deadLetter,
		stuck: keys.stuck,
		oldestInProgressSeconds:
			keys.oldestClaimedAt === undefined
				? null
				: Math.max(0, Math.round((now - keys.oldestClaimedAt) / 1000)),
		releases: { ...keys.releases },
		crashes: { ...keys.crashes },
		deliveries: {
			lastHour: describeTally(input.tallyLastHour),
			lastDay: describeTally(input.tallyLastDay),
			droppedByBound: input.tallyLastDay.dropped,
		},
		lastSweep: input.lastSweep,
		recoveryRatePercent: input.lastSweep?.recoveryRatePercent ?? 0,
		evictions: input.evictions,
		cursorLag: Object.fromEntries(
			input.cursors.map(({ key, state }) => [key, cursorLag(state, now)]),
		),
	};
}

export type Stats = ReturnType<typeof assembleStats>;

function describeTally(tally: InboxTally) {
	const rejected = Object.values(tally.rejected).reduce((sum, count) => sum + count, 0);
	return {
		accepted: tally.kept,
		duplicate: tally.repeats,
		rejected,
		rejectedByReason: { ...tally.rejected },
	};
}

/** Timestamps this far back (2001) or later are epoch ms; smaller cursor values are sequence numbers. */
const EPOCH_MS_FLOOR = 1e12;

/**
 * How far a poll cursor trails now. Only a timestamp cursor has a lag; a sequence cursor reports
 * its value alone, and a key with no cursor reports null.
 */
export function cursorLag(
	state: unknown,
	now: number,
): { value: number | null; lagSeconds: number | null } | null {
	if (state === undefined || state === null || typeof state !== 'object') return null;
	const value = (state as { value?: unknown }).value;
	if (typeof value !== 'number') return { value: null, lagSeconds: null };
	const lagSeconds = value >= EPOCH_MS_FLOOR ? Math.max(0, Math.round((now - value) / 1000)) : null;
	return { value, lagSeconds };
}
