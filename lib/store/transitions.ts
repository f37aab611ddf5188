/**
 * The state machine of one key as pure functions: given the live record (undefined when the key
 * is absent or expired) they answer the outcome and the record to write, if any. Backends that
 * read, decide and write inside one lock use them directly; the others (SQL statements, Lua)
 * encode the same rules and must agree with these through the contract suite.
 */
import {
	type ClaimOptions,
	type ClaimRequest,
	type ClaimStatus,
	type CompleteRequest,
	type CompleteStatus,
	DEFAULT_ATTEMPTS_RETENTION_MS,
	type KeyRecord,
	type ReleaseRequest,
	type ReleaseStatus,
	type VersionOutcome,
	type VersionRequest,
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

/** True when the record is an inProgress claim whose lease ran out: its run was lost. */
export function leaseRanOut(record: KeyRecord | undefined, now: number): boolean {
	return record?.state === 'inProgress' && (record.leaseExpiresAt ?? record.expiresAt) <= now;
}

/**
 * True when a request with a fencing token meets a record that another claim wrote (or a record
 * written before tokens existed): the token's claim was overtaken, so the request must not act.
 */
function overtaken(found: KeyRecord | undefined, token: string | undefined): boolean {
	return token !== undefined && found !== undefined && found.token !== token;
}

/** `token` is the new claim's fencing token, made by the caller (see claimToken.ts). */
export function decideClaim(
	namespace: string,
	found: KeyRecord | undefined,
	request: ClaimRequest,
	token: string,
	now: number,
	options: ClaimOptions,
): Decision<ClaimStatus> & { record: KeyRecord } {
	if (found && fingerprintsDiffer(found, request.fingerprint)) {
		return { status: 'mismatch', record: found, write: false };
	}
	const crashed = leaseRanOut(found, now);
	const claimable = !found || found.state === 'released' || crashed;
	if (found && !claimable) {
		const status: ClaimStatus =
			found.state === 'completed'
				? 'duplicate'
				: found.state === 'deadLetter'
					? 'deadLetter'
					: 'inProgress';
		return { status, record: found, write: false };
	}
	const retentionMs = Math.ceil(options.deadLetterRetentionMs ?? DEFAULT_ATTEMPTS_RETENTION_MS);
	const crashes = (found?.crashes ?? 0) + (crashed ? 1 : 0);
	if (crashed && options.maxAttempts !== undefined && found!.attempts >= options.maxAttempts) {
		const record = compactRecord({
			...found!,
			state: 'deadLetter',
			crashes,
			completedAt: now,
			leaseExpiresAt: undefined,
			expiresAt: now + retentionMs,
			updatedAt: now,
		});
		return { status: 'deadLetter', record, write: true };
	}
	const leaseExpiresAt = now + Math.ceil(options.leaseMs);
	// Kept past its lease, so the claim that takes over a crashed run can count the crash.
	const record = compactRecord({
		namespace,
		key: request.key,
		state: 'inProgress',
		attempts: (found?.attempts ?? 0) + 1,
		releases: found?.releases ?? 0,
		crashes,
		token,
		fingerprint: request.fingerprint ?? found?.fingerprint,
		claimedAt: now,
		leaseExpiresAt,
		expiresAt: leaseExpiresAt + retentionMs,
		updatedAt: now,
	});
	return { status: 'claimed', record, write: true };
}

export function decideComplete(
	namespace: string,
	found: KeyRecord | undefined,
	request: CompleteRequest,
	now: number,
	retentionMs: number,
): Decision<CompleteStatus> & { record: KeyRecord } {
	if (overtaken(found, request.token)) {
		return { status: 'lostClaim', record: found!, write: false };
	}
	// Without a token a lease that ran out is no claim any more (as before tokens existed); with
	// its token the holder may still finish, as long as no other claim took the key over.
	const held =
		found?.state === 'inProgress' && (request.token !== undefined || !leaseRanOut(found, now));
	const status: CompleteStatus = held
		? 'completed'
		: found?.state === 'completed'
			? 'alreadyCompleted'
			: 'notClaimed';
	const record = compactRecord({
		namespace,
		key: request.key,
		state: 'completed',
		attempts: found?.attempts ?? 0,
		releases: found?.releases ?? 0,
		crashes: found?.crashes ?? 0,
		token: request.token ?? found?.token,
		fingerprint: found?.fingerprint,
		result: request.result,
		claimedAt: found?.claimedAt,
		completedAt: now,
		expiresAt: now + Math.ceil(retentionMs),
		updatedAt: now,
	});
	return { status, record, write: true };
}

export function decideRelease(
	found: KeyRecord | undefined,
	request: ReleaseRequest,
	now: number,
	maxAttempts: number,
	deadLetterRetentionMs: number,
): Decision<ReleaseStatus> {
	if (overtaken(found, request.token)) return { status: 'lostClaim', record: found, write: false };
	if (found?.state !== 'inProgress' || (request.token === undefined && leaseRanOut(found, now))) {
		return { status: 'notClaimed', record: found, write: false };
	}
	const deadLetter = found.attempts >= maxAttempts;
	// A released key keeps its attempt count for as long as a dead letter would be kept, so the
	// count survives until the next claim however long the caller waits before retrying.
	const record = compactRecord({
		...found,
		state: deadLetter ? 'deadLetter' : 'released',
		releases: (found.releases ?? 0) + 1,
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
		releases: 0,
		crashes: 0,
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

/**
 * A person's "try again" for a dead letter: released with its attempts back to 0, so the next
 * claim runs it with the full Max Attempts again; releases and crashes stay as history, and the
 * record keeps its expiry (an unclaimed requeue lapses like the dead letter would have). Any
 * other state is left alone.
 */
export function decideRequeue(
	found: KeyRecord | undefined,
	now: number,
): Decision<'requeued' | 'untouched'> {
	if (found?.state !== 'deadLetter') return { status: 'untouched', record: found, write: false };
	const record = compactRecord({
		...found,
		state: 'released',
		attempts: 0,
		completedAt: undefined,
		leaseExpiresAt: undefined,
		updatedAt: now,
	});
	return { status: 'requeued', record, write: true };
}
