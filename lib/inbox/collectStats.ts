import type { IdempotencyStore } from '../store/IdempotencyStore';
import { assembleStats, DAY_MS, HOUR_MS, KeyCounts, type Stats } from './stats';
import { readSweepSummary, sweepSummaryKey } from './sweepSummary';

const KEY_PAGE_SIZE = 1_000;

/** Reads what the namespace's stats item needs from the store, then assembles it. */
export async function collectStats(
	store: IdempotencyStore,
	namespace: string,
	options: { cursorKeys: readonly string[]; now: () => number },
): Promise<Stats> {
	const now = options.now();
	const [keys, tallyLastHour, tallyLastDay, sweep, evictions] = await Promise.all([
		countKeys(store, namespace, now),
		store.inbox.tally(namespace, now - HOUR_MS),
		store.inbox.tally(namespace, now - DAY_MS),
		store.cursors.read(sweepSummaryKey(namespace)),
		store.evictions(),
	]);
	const cursors = await Promise.all(
		options.cursorKeys.map(async (key) => ({ key, state: await store.cursors.read(key) })),
	);
	return assembleStats({
		namespace,
		now,
		keys,
		tallyLastHour,
		tallyLastDay,
		lastSweep: readSweepSummary(sweep),
		evictions,
		cursors,
	});
}

async function countKeys(
	store: IdempotencyStore,
	namespace: string,
	now: number,
): Promise<KeyCounts> {
	const counts = new KeyCounts(now);
	let after: string | undefined;
	do {
		const page = await store.listKeys(namespace, { limit: KEY_PAGE_SIZE, after });
		counts.add(page.records);
		after = page.next;
	} while (after !== undefined);
	return counts;
}
