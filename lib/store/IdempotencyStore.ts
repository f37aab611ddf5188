import type { CursorStore } from './CursorStore';
import type { DeliveryInbox } from './DeliveryInbox';

/**
 * The one store every node of this package talks to: the Signed Webhook Trigger's dedup window,
 * Idempotency Check's claim / complete / release, Reconcile's look-ups and, through its `cursors`
 * port, the Cursor Poll Trigger's committed cursor. Backends (embedded SQLite, Redis, PostgreSQL)
 * implement this interface and pass the same contract test suites (test/lib/store/storeContract.ts,
 * test/lib/store/cursorContract.ts).
 *
 * State machine of one key (see shared reliability patterns):
 *   absent/released/expired --claim--> inProgress (lease) --complete--> completed (retention)
 *   inProgress --release--> released (attempts kept) ... --release at maxAttempts--> deadLetter
 *   inProgress whose lease ran out behaves as released, except that the next claim counts the
 *   lost run as a crash (and dead-letters the key when it already used maxAttempts claims).
 * Fencing: every granted claim carries a new token. Complete and release given a token act only
 * while the key is held by that claim; otherwise they answer `lostClaim` and write nothing.
 * Without a token they behave as before tokens existed (records written then have none either).
 * Every operation takes a batch and answers one outcome per input, in input order. Within a batch
 * the same key is handled in order, so the first claim of a key wins and later copies see it.
 */

export type KeyState = 'inProgress' | 'completed' | 'released' | 'deadLetter';

export interface KeyRecord {
	namespace: string;
	key: string;
	state: KeyState;
	/** Claims granted so far (the first claim makes it 1). */
	attempts: number;
	/**
	 * Claims given back by release. Every backend answers it; absent only in records built by hand
	 * (and stored before counters existed), which count as 0.
	 */
	releases?: number;
	/** Claims whose lease ran out and were taken over by a later claim: runs that never finished. */
	crashes?: number;
	/** Fencing token of the latest granted claim; absent for keys never claimed with one. */
	token?: string;
	fingerprint?: string;
	/** Small JSON value stored by `complete`. */
	result?: unknown;
	/** Epoch ms of the latest granted claim. */
	claimedAt?: number;
	/** Epoch ms when the key was completed or dead-lettered. */
	completedAt?: number;
	/** Epoch ms when an inProgress claim stops protecting its holder. */
	leaseExpiresAt?: number;
	/** Epoch ms after which the record is gone, as if never written. */
	expiresAt: number;
	updatedAt: number;
}

export interface ClaimRequest {
	key: string;
	/** Hash of the payload fields that must match for the same key; compared when both sides have one. */
	fingerprint?: string;
}

export type ClaimStatus = 'claimed' | 'duplicate' | 'inProgress' | 'deadLetter' | 'mismatch';

export interface ClaimOutcome {
	key: string;
	status: ClaimStatus;
	/** The record after the operation (for `claimed`) or as found (every other status). */
	record: KeyRecord;
}

export interface ClaimOptions {
	/** How long a granted claim protects its holder before another claimer may take it over. */
	leaseMs: number;
	/**
	 * A claim that takes over a lease that ran out when the key already used this many claims
	 * dead-letters the key instead of claiming it. Absent: a takeover always claims.
	 */
	maxAttempts?: number;
	/**
	 * How long a claim is remembered after its lease ran out (so the next claim counts the crash),
	 * and how long a key dead-lettered by a claim is kept. Default `DEFAULT_ATTEMPTS_RETENTION_MS`.
	 */
	deadLetterRetentionMs?: number;
}

/** 30 days: as long as Idempotency Check keeps released and dead-lettered keys by default. */
export const DEFAULT_ATTEMPTS_RETENTION_MS = 30 * 86_400_000;

export interface CompleteRequest {
	key: string;
	result?: unknown;
	/** The fencing token of the claim completing the key; absent: complete whoever holds it. */
	token?: string;
}

export interface CompleteOptions {
	/** How long the completed key is remembered (duplicates are recognised) from now. */
	retentionMs: number;
}

/** `lostClaim`: the token's claim was taken over or finished by another claim; nothing written. */
export type CompleteStatus = 'completed' | 'alreadyCompleted' | 'notClaimed' | 'lostClaim';

export interface CompleteOutcome {
	key: string;
	status: CompleteStatus;
	record: KeyRecord;
}

export interface ReleaseOptions {
	/** A release when the key already used this many claims moves it to deadLetter. */
	maxAttempts: number;
	/** How long a dead-lettered key is kept (and keeps refusing claims). */
	deadLetterRetentionMs: number;
}

export interface ReleaseRequest {
	key: string;
	/** The fencing token of the claim giving the key back; absent: release whoever holds it. */
	token?: string;
}

/** `lostClaim`: the token's claim was taken over or finished by another claim; nothing written. */
export type ReleaseStatus = 'released' | 'deadLettered' | 'notClaimed' | 'lostClaim';

export interface ReleaseOutcome {
	key: string;
	status: ReleaseStatus;
	record?: KeyRecord;
}

export interface MarkSeenOptions {
	/** The dedup window: a key marked seen is reported as seen again until this much time passed. */
	ttlMs: number;
}

export interface MarkSeenOutcome {
	key: string;
	/** True when this call recorded the key (first time inside the window). */
	firstSeen: boolean;
	record: KeyRecord;
}

/** One event's place in its entity's history: a version number, or a timestamp in epoch ms. */
export interface VersionRequest {
	entity: string;
	version: number;
}

export interface VersionOutcome {
	entity: string;
	/** True when this request raised the entity's version (or set the first one); an equal version does not. */
	applied: boolean;
	/** The stored newest version after this request. */
	latest: number;
}

export interface VersionOptions {
	/** How long an entity's version is remembered after its last raise. */
	retentionMs: number;
}

/** For operators and stats, never on the hot path: live records of one namespace, by key. */
export interface ListKeysQuery {
	/** Only records in these states; absent: every state. */
	states?: KeyState[];
	/** Only records written at or after this epoch ms. */
	updatedSince?: number;
	/** Records per page, at most `MAX_LIST_LIMIT`. */
	limit: number;
	/** Continue after this key (the previous page's `next`). */
	after?: string;
}

export interface KeyPage {
	/** Ordered by key, in UTF-8 byte order (the same on every backend). */
	records: KeyRecord[];
	/** The key to pass as `after` for the next page; absent on the last page. */
	next?: string;
}

export interface IdempotencyStore {
	/** Human name for messages and logs, e.g. `embedded (/home/n8n/.n8n/hybrid-sync/store.sqlite)`. */
	readonly description: string;

	/** Poll cursors, apart from keys and versions, on the same connection. */
	readonly cursors: CursorStore;

	/** Verified webhook deliveries kept before their 2xx, apart from keys, on the same connection. */
	readonly inbox: DeliveryInbox;

	claim(
		namespace: string,
		requests: ClaimRequest[],
		options: ClaimOptions,
	): Promise<ClaimOutcome[]>;

	/**
	 * Marks keys done. A key that is not inProgress is still recorded as completed (the business
	 * step succeeded, remember it) but reports `notClaimed`, so callers can warn. A request whose
	 * token another claim overtook answers `lostClaim` and writes nothing.
	 */
	complete(
		namespace: string,
		requests: CompleteRequest[],
		options: CompleteOptions,
	): Promise<CompleteOutcome[]>;

	/** Takes keys (released whoever holds them) or requests carrying the claim's token. */
	release(
		namespace: string,
		requests: ReadonlyArray<string | ReleaseRequest>,
		options: ReleaseOptions,
	): Promise<ReleaseOutcome[]>;

	/**
	 * Webhook dedup in one atomic step: records each key as completed for `ttlMs` unless a live
	 * record of it exists. Only the first caller inside the window gets `firstSeen: true`.
	 */
	markSeen(namespace: string, keys: string[], options: MarkSeenOptions): Promise<MarkSeenOutcome[]>;

	/** Live records (expired ones read as absent). */
	inspect(namespace: string, keys: string[]): Promise<Array<KeyRecord | undefined>>;

	/**
	 * Ordering guard: per entity the newest version applied. Raises it atomically (max), never
	 * lowers it. Versions live apart from keys: an entity never meets a key of the same name.
	 */
	recordVersions(
		namespace: string,
		requests: VersionRequest[],
		options: VersionOptions,
	): Promise<VersionOutcome[]>;

	/** The live newest version of each entity, undefined when none is stored or it expired. */
	readVersions(namespace: string, entities: string[]): Promise<Array<number | undefined>>;

	/** Live records of a namespace page by page, ordered by key (operators and stats only). */
	listKeys(namespace: string, query: ListKeysQuery): Promise<KeyPage>;

	/**
	 * Gives dead letters another chance: each deadLetter key becomes `released` with `attempts` 0
	 * (releases and crashes kept, so its history shows), so the next claim runs it. Keys in any
	 * other state are left as they are. Answers each record after the call, undefined when absent.
	 */
	requeue(namespace: string, keys: string[]): Promise<Array<KeyRecord | undefined>>;

	/** Deletes keys; answers how many existed. */
	forget(namespace: string, keys: string[]): Promise<number>;

	/**
	 * Entries (keys or versions) dropped by the store's size bound before they expired, since its
	 * data was created: each one a key whose late duplicate would run again. 0 for stores without
	 * a bound (Redis, PostgreSQL).
	 */
	evictions(): Promise<number>;

	close(): Promise<void>;
}

/** The one error type of the store layer: unreachable backend, bad configuration, bad key. */
export class StoreError extends Error {
	constructor(
		message: string,
		readonly reason: 'unreachable' | 'invalidKey' | 'invalidConfig' | 'backendFailure',
		options?: { cause?: unknown },
	) {
		super(message, options);
		this.name = 'StoreError';
	}
}

/** Where a store reports what the caller cannot see in its answers (n8n's logger fits). */
export interface StoreLogger {
	warn(message: string, metadata?: Record<string, unknown>): void;
}

/** Injected time source so lease and TTL behaviour is testable without sleeping. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
