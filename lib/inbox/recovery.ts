import type { InboxEntry } from '../store/DeliveryInbox';
import type { KeyRecord } from '../store/IdempotencyStore';
import { entryState, type EntryState, isRecoverable } from './entryState';
import { InboxError } from './InboxError';

/** Which kept deliveries a recovery sweep looks at. */
export interface RecoveryWindow {
	/**
	 * Entries received (first or last receipt) less than this long ago are left alone: the trigger
	 * keeps, then claims, then answers; a sweep in between would race a live request for nothing.
	 */
	graceMs: number;
	/**
	 * Entries first received longer ago than this are not looked at. Must stay shorter than the
	 * retention of completed keys: an entry whose completed key already expired reads as never
	 * claimed and would run again.
	 */
	lookBackMs: number;
}

/** The receivedAt range a sweep lists: [now - lookBack, now - grace], the grace's end included. */
export function recoveryRange(window: RecoveryWindow, now: number): { from: number; to: number } {
	if (!(window.graceMs >= 0) || !(window.lookBackMs > window.graceMs)) {
		throw new InboxError(
			`The look-back (${window.lookBackMs} ms) must be longer than the grace period (${window.graceMs} ms), and the grace period 0 or more`,
			'invalidOptions',
		);
	}
	return { from: now - window.lookBackMs, to: now - window.graceMs + 1 };
}

/**
 * The state that makes this entry a recovery candidate, or null when the sweep must leave it:
 * finished, parked, held by a live claim, or received again within the grace period (a repeat the
 * trigger is handling right now).
 */
export function recoveryCandidate(
	entry: Pick<InboxEntry, 'lastReceivedAt'>,
	record: KeyRecord | undefined,
	now: number,
	graceMs: number,
): EntryState | null {
	if (now - entry.lastReceivedAt < graceMs) return null;
	const state = entryState(record, now);
	return isRecoverable(state) ? state : null;
}
