import type { ClaimStatus, IdempotencyStore } from '../store/IdempotencyStore';

import { type Classification, classifyAgainstStore, type SourceEntry } from './classify';

export interface ReconcileEntry extends SourceEntry {
	/** Whose handled version `version` is compared with (the ordering guard's entity); default the key. */
	entity?: string;
}

export interface ReconcileAgainstStoreOptions {
	/** Claim the missing keys before they leave, so a late webhook and the sweep cannot both win. */
	claimRecovered: boolean;
	/** Lease of those claims. */
	leaseMs: number;
	/** A crashed claim (lease ran out) on a key that used this many claims dead-letters it instead. */
	maxAttempts?: number;
	/** Keys per store round trip; bounds what is held of the store's answers at once. */
	chunkSize?: number;
	now?: () => number;
}

/** Where each entry went, in input order, and whether the sweep holds a claim on it. */
export interface ReconcileOutcome {
	classes: Classification[];
	/** True for the missing entries this sweep claimed (only with claimRecovered). */
	claimed: boolean[];
	/** The fencing token of each claim this sweep holds, for the processor's Complete or Release. */
	tokens: Array<string | undefined>;
}

export const DEFAULT_CHUNK_SIZE = 5_000;

const CLAIM_CLASS: Record<ClaimStatus, Classification> = {
	claimed: 'missing',
	duplicate: 'handled',
	inProgress: 'inProgress',
	deadLetter: 'deadLetter',
	// No fingerprint is sent, so a mismatch cannot happen; counted as someone else's key if it did.
	mismatch: 'inProgress',
};

/**
 * Looks every source record of a window up in the store, chunk by chunk, and classifies it.
 *
 * Only keys and classes are kept: the store's answers (which may hold results) are dropped after
 * each chunk, so memory follows the number of keys, not the size of records or stored results.
 *
 * A key repeated inside the window is classified once, at its first occurrence; its later copies
 * follow it, except that copies of a missing key count as in progress (this sweep recovers the
 * first copy: sending the others too would process the record twice).
 *
 * With `claimRecovered`, missing keys are claimed in the same chunk, atomically per key: a claim
 * lost to a webhook that arrived meanwhile turns the record into in progress (or handled, if that
 * run completed already), so exactly one of the two paths processes it.
 */
export async function reconcileAgainstStore(
	store: IdempotencyStore,
	namespace: string,
	entries: readonly ReconcileEntry[],
	options: ReconcileAgainstStoreOptions,
): Promise<ReconcileOutcome> {
	const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
	const now = options.now ?? Date.now;
	const classes: Classification[] = new Array(entries.length);
	const claimed: boolean[] = new Array(entries.length).fill(false);
	const tokens: Array<string | undefined> = new Array(entries.length).fill(undefined);
	const firstIndexOfKey = new Map<string, number>();
	const unique: number[] = [];
	entries.forEach((entry, index) => {
		if (!firstIndexOfKey.has(entry.key)) {
			firstIndexOfKey.set(entry.key, index);
			unique.push(index);
		}
	});

	for (let start = 0; start < unique.length; start += chunkSize) {
		const indices = unique.slice(start, start + chunkSize);
		const chunk = indices.map((index) => entries[index]);
		const keys = chunk.map((entry) => entry.key);
		const versioned = chunk.some((entry) => entry.version !== undefined);
		const [records, handledVersions] = await Promise.all([
			store.inspect(namespace, keys),
			versioned
				? store.readVersions(
						namespace,
						chunk.map((entry) => entry.entity ?? entry.key),
					)
				: Promise.resolve(undefined),
		]);
		const chunkClasses = classifyAgainstStore(chunk, records, handledVersions, now());
		if (options.claimRecovered) {
			const missing = chunkClasses.flatMap((kind, position) =>
				kind === 'missing' ? [position] : [],
			);
			if (missing.length > 0) {
				const outcomes = await store.claim(
					namespace,
					missing.map((position) => ({ key: keys[position] })),
					{ leaseMs: options.leaseMs, maxAttempts: options.maxAttempts },
				);
				outcomes.forEach((outcome, n) => {
					chunkClasses[missing[n]] = CLAIM_CLASS[outcome.status];
					claimed[indices[missing[n]]] = outcome.status === 'claimed';
					if (outcome.status === 'claimed') tokens[indices[missing[n]]] = outcome.record.token;
				});
			}
		}
		indices.forEach((index, position) => {
			classes[index] = chunkClasses[position];
		});
	}

	entries.forEach((entry, index) => {
		const first = firstIndexOfKey.get(entry.key)!;
		if (first === index) return;
		classes[index] = classes[first] === 'missing' ? 'inProgress' : classes[first];
	});
	return { classes, claimed, tokens };
}
