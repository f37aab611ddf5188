import type { InboxEntry } from '../store/DeliveryInbox';
import type {
	ClaimOptions,
	ClaimStatus,
	IdempotencyStore,
	KeyRecord,
} from '../store/IdempotencyStore';

/** One entry's claim: `claimed` entries go to processing, holding `record.token`. */
export interface EntryClaim {
	entry: InboxEntry;
	status: ClaimStatus;
	record: KeyRecord;
}

/**
 * Claims the entries' event keys in one batch, with the lease and attempt limits the trigger
 * uses, so whoever else claims the same key (a sender's late retry, another sweep, a redrive)
 * either wins or loses to this claim atomically: never both run.
 */
export async function claimEntries(
	store: IdempotencyStore,
	namespace: string,
	entries: readonly InboxEntry[],
	options: ClaimOptions,
): Promise<EntryClaim[]> {
	if (entries.length === 0) return [];
	const outcomes = await store.claim(
		namespace,
		entries.map((entry) => ({ key: entry.eventId })),
		options,
	);
	return outcomes.map((outcome, index) => ({
		entry: entries[index],
		status: outcome.status,
		record: outcome.record,
	}));
}
