import type { ClaimOptions, IdempotencyStore } from '../store/IdempotencyStore';
import { claimEntries, type EntryClaim } from './claimEntries';

/** Dead letters looked up per listing page. */
const DEAD_LETTER_PAGE_SIZE = 1_000;

export interface RequeueResult {
	/** Brought back and claimed by this call: to be processed. */
	requeued: EntryClaim[];
	/** Keys not brought back, and why. */
	skipped: Array<{ eventId: string; reason: 'notInInbox' | 'notDeadLetter' | 'claimedElsewhere' }>;
}

/**
 * Gives dead letters another run: each named key (or every dead letter of the namespace, up to
 * `limit`) that the inbox still holds is requeued (attempts back to 0, its history kept), then
 * claimed, and only the claimed ones go on. Requeueing the same key twice brings it back once:
 * the second call finds it no longer dead-lettered.
 */
export async function requeueDeadLetters(
	store: IdempotencyStore,
	namespace: string,
	eventIds: readonly string[] | undefined,
	options: { limit: number; claim: ClaimOptions },
): Promise<RequeueResult> {
	const keys = eventIds
		? [...new Set(eventIds)]
		: await deadLetterKeys(store, namespace, options.limit);
	const skipped: RequeueResult['skipped'] = [];
	const entries = await store.inbox.get(namespace, keys);
	const kept = entries.flatMap((entry, index) => {
		if (entry === undefined) skipped.push({ eventId: keys[index], reason: 'notInInbox' });
		return entry ? [entry] : [];
	});
	const found = await store.requeue(
		namespace,
		kept.map((entry) => entry.eventId),
	);
	// `requeue` answers records after the call: a dead letter reads released with 0 attempts.
	const requeuedNow = kept.filter((entry, index) => {
		const record = found[index];
		const broughtBack = record?.state === 'released' && record.attempts === 0;
		if (!broughtBack) skipped.push({ eventId: entry.eventId, reason: 'notDeadLetter' });
		return broughtBack;
	});
	const requeued: EntryClaim[] = [];
	for (const claim of await claimEntries(store, namespace, requeuedNow, options.claim)) {
		if (claim.status === 'claimed') requeued.push(claim);
		else skipped.push({ eventId: claim.entry.eventId, reason: 'claimedElsewhere' });
	}
	return { requeued, skipped };
}

async function deadLetterKeys(
	store: IdempotencyStore,
	namespace: string,
	limit: number,
): Promise<string[]> {
	const keys: string[] = [];
	let after: string | undefined;
	do {
		const page = await store.listKeys(namespace, {
			states: ['deadLetter'],
			limit: Math.min(DEAD_LETTER_PAGE_SIZE, limit - keys.length),
			after,
		});
		keys.push(...page.records.map((record) => record.key));
		after = page.next;
	} while (after !== undefined && keys.length < limit);
	return keys;
}
