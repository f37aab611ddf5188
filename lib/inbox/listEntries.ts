import type { IdempotencyStore } from '../store/IdempotencyStore';
import { type JoinedEntry, joinedEntryPages } from './entryPages';
import type { EntryFilter } from './redrive';

/** The filter's entries, oldest first, each with its key record, at most `limit` of them. */
export async function listEntries(
	store: IdempotencyStore,
	namespace: string,
	filter: EntryFilter,
	options: { limit: number; now: () => number },
): Promise<JoinedEntry[]> {
	const { states, ...query } = filter;
	const found: JoinedEntry[] = [];
	for await (const page of joinedEntryPages(store, namespace, query, options.now)) {
		found.push(...page.filter(({ state }) => states.length === 0 || states.includes(state)));
		if (found.length >= options.limit) break;
	}
	return found.slice(0, options.limit);
}
