/**
 * The state machine of one key as pure functions: given the live record (undefined when the key
 * is absent or expired) they answer the outcome and the record to write, if any. Backends that
 * read, decide and write inside one lock use them directly; the others (SQL statements, Lua)
 * encode the same rules and must agree with these through the contract suite.
 */
import type {
	ClaimRequest,
	ClaimStatus,
	CompleteStatus,
	KeyRecord,
	ReleaseStatus,
	VersionOutcome,
	VersionRequest,
} from './IdempotencyStore';

export interface Decision<S> {
	status: S;
	/** The record after the operation, or as found when nothing changes. */
	record: KeyRecord | undefined;
	/** True when `record` must be written. */
	write: boolean;
}

/** Drops absent optional fields so records compare equal whatever backend produced them. */
export function compactRecord(record: KeyRecord): KeyRecord {
	const compact = { ...record };
	for (const field of Object.keys(compact) as Array<keyof KeyRecord>) {
		if (compact[field] === undefined) delete compact[field];
	}
	return compact;
}

function fingerprintsDiffer(record: KeyRecord, fingerprint: string | undefined): boolean {
	return (
		fingerprint !== undefined &&
		record.fingerprint !== undefined &&
		record.fingerprint !== fingerprint
	);
}

export function decideClaim(
	namespace: string,
	found: KeyRecord | undefined,
	request: ClaimRequest,
	now: number,
	leaseMs: number,
): Decision<ClaimStatus> & { record: KeyRecord } {
	if (found && fingerprintsDiffer(found, request.fingerprint)) {
		return { status: 'mismatch', record: found, write: false };
	}
	const leaseRanOut =
		found?.state === 'inProgress' && (found.leaseExpiresAt ?? found.expiresAt) <= now;
	const claimable = !found || found.state === 'released' || leaseRanOut;
	if (found && !claimable) {
		const status: ClaimStatus =
			found.state === 'completed'
				? 'duplicate'
				: found.state === 'deadLetter'
					? 'deadLetter'
					: 'inProgress';
		return { status, record: found, write: false };
	}
	const leaseExpiresAt = now + Math.ceil(leaseMs);
	const record = compactRecord({
		namespace,
		key: request.key,
		state: 'inProgress',
		attempts: (found?.attempts ?? 0) + 1,
		fingerprint: request.fingerprint ?? found?.fingerprint,
		claimedAt: now,
		leaseExpiresAt,
		expiresAt: leaseExpiresAt,
		updatedAt: now,
	});
	return { status: 'claimed', record, write: true };
}

export function decideComplete(
	namespace: string,
	found: KeyRecord | undefined,
	key: string,
	result: unknown,
	now: number,
	retentionMs: number,
): Decision<CompleteStatus> & { record: KeyRecord } {
	const status: CompleteStatus =
		found?.state === 'inProgress'
			? 'completed'
			: found?.state === 'completed'
				? 'alreadyCompleted'
				: 'notClaimed';
	const record = compactRecord({
		namespace,
		key,
		state: 'completed',
		attempts: found?.attempts ?? 0,
		fingerprint: found?.fingerprint,
		result,
		claimedAt: found?.claimedAt,
		completedAt: now,
		expiresAt: now + Math.ceil(retentionMs),
		updatedAt: now,
	});
	return { status, record, write: true };
}

export function decideRelease(
	found: KeyRecord | undefined,
	now: number,
	maxAttempts: number,
	deadLetterRetentionMs: number,
): Decision<ReleaseStatus> {
	if (found?.state !== 'inProgress') return { status: 'notClaimed', record: found, write: false };
	const deadLetter = found.attempts >= maxAttempts;
	// A released key keeps its attempt count for as long as a dead letter would be kept, so the
	// count survives until the next claim however long the caller waits before retrying.
	const record = compactRecord({
		...found,
		state: deadLetter ? 'deadLetter' : 'released',
		completedAt: deadLetter ? now : undefined,
		leaseExpiresAt: undefined,
		expiresAt: now + Math.ceil(deadLetterRetentionMs),
		updatedAt: now,
	});
	return { status: deadLetter ? 'deadLettered' : 'released', record, write: true };
}

export function decideMarkSeen(
	namespace: string,
	found: KeyRecord | undefined,
	key: string,
	now: number,
	ttlMs: number,
): { firstSeen: boolean; record: KeyRecord; write: boolean } {
	if (found) return { firstSeen: false, record: found, write: false };
	const record: KeyRecord = {
		namespace,
		key,
		state: 'completed',
		attempts: 0,
		completedAt: now,
		expiresAt: now + Math.ceil(ttlMs),
		updatedAt: now,
	};
	return { firstSeen: true, record, write: true };
}

/**
 * The ordering guard over one batch: `found` holds each entity's live version before the batch.
 * Copies of an entity are judged in order, each against the newest before it. Answers the
 * outcomes and the versions to write (entities whose version was raised).
 */
export function decideVersions(
	found: ReadonlyMap<string, number | undefined>,
	requests: readonly VersionRequest[],
): { outcomes: VersionOutcome[]; raised: Map<string, number> } {
	const latest = new Map(found);
	const raised = new Map<string, number>();
	const outcomes = requests.map(({ entity, version }) => {
		const current = latest.get(entity);
		if (current !== undefined && version <= current)
			return { entity, applied: false, latest: current };
		latest.set(entity, version);
		raised.set(entity, version);
		return { entity, applied: true, latest: version };
	});
	return { outcomes, raised };
}
