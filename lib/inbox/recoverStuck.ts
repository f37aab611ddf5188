import type { ClaimOptions, IdempotencyStore } from '../store/IdempotencyStore';
import { claimEntries, type EntryClaim } from './claimEntries';
import { joinedEntryPages } from './entryPages';
import { recoveryCandidate, recoveryRange, type RecoveryWindow } from './recovery';
import { summarizeSweep, type SweepSummary, sweepSummaryKey } from './sweepSummary';

export interface RecoverStuckOptions {
	window: RecoveryWindow;
	/** Entries recovered per sweep at most; the next sweep goes on with the rest. */
	limit: number;
	claim: ClaimOptions;
	now: () => number;
}

export interface RecoverStuckResult {
	/** Claimed by this sweep: to be processed, each holding its claim's token. */
	recovered: EntryClaim[];
	/** Their claim took over a crashed run on its last attempt: parked for a person. */
	deadLettered: EntryClaim[];
	summary: SweepSummary;
}

/**
 * The recovery sweep: every kept delivery of the look-back window that nobody holds and nobody
 * finished (never claimed, released, or its lease ran out) is claimed again, page by page, and
 * handed back for processing. The claim is the arbiter: two sweeps at once, or a sweep and a
 * sender's retry, claim each key once between them. A claim that takes over an expired lease
 * counts the lost run as a crash; at Max Attempts it dead-letters the key instead.
 * The sweep's counts are kept in the store for the Stats operation.
 */
export async function recoverStuck(
	store: IdempotencyStore,
	namespace: string,
	options: RecoverStuckOptions,
): Promise<RecoverStuckResult> {
	const range = recoveryRange(options.window, options.now());
	const recovered: EntryClaim[] = [];
	const deadLettered: EntryClaim[] = [];
	let examined = 0;
	for await (const page of joinedEntryPages(store, namespace, range, options.now)) {
		examined += page.length;
		const at = options.now();
		const candidates = page
			.filter(({ entry, record }) => recoveryCandidate(entry, record, at, options.window.graceMs))
			.slice(0, options.limit - recovered.length)
			.map(({ entry }) => entry);
		for (const claim of await claimEntries(store, namespace, candidates, options.claim)) {
			if (claim.status === 'claimed') recovered.push(claim);
			if (claim.status === 'deadLetter') deadLettered.push(claim);
		}
		if (recovered.length >= options.limit) break;
	}
	const summary = summarizeSweep(
		{ examined, recovered: recovered.length, deadLettered: deadLettered.length },
		options.now(),
	);
	await store.cursors.write(sweepSummaryKey(namespace), summary);
	return { recovered, deadLettered, summary };
}
