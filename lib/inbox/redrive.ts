import type { InboxEntry } from '../store/DeliveryInbox';
import type { ClaimOptions, IdempotencyStore } from '../store/IdempotencyStore';
import { claimEntries, type EntryClaim } from './claimEntries';
import { joinedEntryPages } from './entryPages';
import { type EntryState, isRedrivable } from './entryState';
import type { TimeWindow } from './timeWindow';

export interface EntryFilter extends TimeWindow {
	eventType?: string;
	/** Only entries whose key is in one of these states; empty: any state. */
	states: readonly EntryState[];
}

export interface RedriveOptions {
	/** Entries redriven per call at most. */
	limit: number;
	claim: ClaimOptions;
	now: () => number;
}

/** An entry of the window that was not redriven, and the state (or claim answer) that kept it back. */
export interface SkippedEntry {
	entry: InboxEntry;
	reason: EntryState | 'claimedElsewhere';
}

export interface RedriveResult {
	redriven: EntryClaim[];
	skipped: SkippedEntry[];
}

/**
 * Sends a window of kept deliveries back into processing: each entry the filter picks whose event
 * is not completed and not dead-lettered is claimed, and only the claimed ones go on. A sender's
 * late retry (or a sweep) racing the redrive meets the same claim, so the event runs once.
 */
export async function redrive(
	store: IdempotencyStore,
	namespace: string,
	filter: EntryFilter,
	options: RedriveOptions,
): Promise<RedriveResult> {
	const { states, ...query } = filter;
	const redriven: EntryClaim[] = [];
	const skipped: SkippedEntry[] = [];
	for await (const page of joinedEntryPages(store, namespace, query, options.now)) {
		const picked = page.filter(({ state }) => states.length === 0 || states.includes(state));
		const wanted = [];
		for (const { entry, state } of picked) {
			if (!isRedrivable(state)) skipped.push({ entry, reason: state });
			else if (redriven.length + wanted.length < options.limit) wanted.push(entry);
		}
		for (const claim of await claimEntries(store, namespace, wanted, options.claim)) {
			if (claim.status === 'claimed') redriven.push(claim);
			else skipped.push({ entry: claim.entry, reason: 'claimedElsewhere' });
		}
		if (redriven.length >= options.limit) break;
	}
	return { redriven, skipped };
}
