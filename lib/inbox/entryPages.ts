import type { InboxEntry, InboxQuery } from '../store/DeliveryInbox';
import type { IdempotencyStore, KeyRecord } from '../store/IdempotencyStore';
import { entryState, type EntryState } from './entryState';

/** Entries per inbox page and per key look-up: bounds what is held of the store's answers at once. */
export const ENTRY_PAGE_SIZE = 500;

export interface JoinedEntry {
	entry: InboxEntry;
	/** The event's key record, undefined when the key was never claimed (or expired). */
	record: KeyRecord | undefined;
	state: EntryState;
}

/**
 * The namespace's kept entries in a window, page by page, each joined with its key record (same
 * namespace, key = event id): the one place the inbox and the key states meet.
 */
export async function* joinedEntryPages(
	store: IdempotencyStore,
	namespace: string,
	query: Omit<InboxQuery, 'limit' | 'after'>,
	now: () => number,
): AsyncGenerator<JoinedEntry[]> {
	let after: InboxQuery['after'];
	do {
		const page = await store.inbox.list(namespace, { ...query, limit: ENTRY_PAGE_SIZE, after });
		if (page.entries.length > 0) {
			const records = await store.inspect(
				namespace,
				page.entries.map((entry) => entry.eventId),
			);
			const at = now();
			yield page.entries.map((entry, index) => ({
				entry,
				record: records[index],
				state: entryState(records[index], at),
			}));
		}
		after = page.next;
	} while (after !== undefined);
}
