import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';

import type { CursorStore } from './CursorStore';
import type { DeliveryInbox } from './DeliveryInbox';
import { EmbeddedInbox, INBOX_SCHEMA } from './EmbeddedInbox';
import {
	type ClaimOptions,
	type ClaimOutcome,
	type ClaimRequest,
	type Clock,
	type CompleteOptions,
	type CompleteOutcome,
	type CompleteRequest,
	type IdempotencyStore,
	type KeyPage,
	type KeyRecord,
	type KeyState,
	type ListKeysQuery,
	type MarkSeenOptions,
	type MarkSeenOutcome,
	type ReleaseOptions,
	type ReleaseOutcome,
	type ReleaseRequest,
	StoreError,
	type StoreLogger,
	type VersionOptions,
	type VersionOutcome,
	type VersionRequest,
	systemClock,
} from './IdempotencyStore';
import { newClaimToken } from './claimToken';
import {
	compactRecord,
	decideClaim,
	decideComplete,
	decideMarkSeen,
	decideRelease,
	decideRequeue,
	decideVersions,
} from './transitions';
import {
	decodeResult,
	validateClaim,
	validateComplete,
	validateCursorKey,
	validateCursorWrite,
	validateListKeys,
	validateLookup,
	validateMarkSeen,
	validateReadVersions,
	validateRecordVersions,
	validateRelease,
} from './validation';

export interface EmbeddedStoreOptions {
	/** SQLite file; its folder is created when missing. */
	path: string;
	/**
	 * Bound on stored keys and entity versions together. Above it the rows expiring soonest are
	 * evicted: completed keys first, then versions, released keys, claims whose lease ran out and
	 * dead-lettered keys; a live claim never is, so the bound can only be exceeded by live claims.
	 * Every entry evicted before it expired is counted (`evictions()`) and logged.
	 */
	maxEntries?: number;
	clock?: Clock;
	/** Receives one warning per unexpired entry evicted; default: Node's process warnings. */
	logger?: StoreLogger;
}

export const DEFAULT_MAX_ENTRIES = 1_000_000;
/** How long a write waits for another process holding the file's write lock. */
const BUSY_TIMEOUT_MS = 5_000;
const PURGE_INTERVAL_MS = 60_000;
/** Expired rows deleted per purge, so one purge never holds the write lock for long. */
const PURGE_BATCH = 10_000;
/** Eviction order when over `maxEntries`; claims whose lease still runs are never evicted. */
const EVICTION_ORDER: Array<Exclude<KeyState, 'inProgress'> | 'version' | 'crashedClaim'> = [
	'completed',
	'version',
	'released',
	'crashedClaim',
	'deadLetter',
];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
	namespace TEXT NOT NULL,
	key TEXT NOT NULL,
	state TEXT NOT NULL,
	attempts INTEGER NOT NULL,
	fingerprint TEXT,
	result TEXT,
	claimed_at INTEGER,
	completed_at INTEGER,
	lease_expires_at INTEGER,
	expires_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	token TEXT,
	releases INTEGER NOT NULL DEFAULT 0,
	crashes INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_keys_by_state_expiry ON idempotency_keys (state, expires_at);
CREATE TABLE IF NOT EXISTS entity_versions (
	namespace TEXT NOT NULL,
	entity TEXT NOT NULL,
	version REAL NOT NULL,
	expires_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (namespace, entity)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_versions_by_expiry ON entity_versions (expires_at);
CREATE TABLE IF NOT EXISTS cursors (key TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO store_meta (name, value) VALUES ('evicted', 0) ON CONFLICT (name) DO NOTHING;
`;

/** Columns added after the first release: a file written by it gets them on open, empty. */
const ADDED_COLUMNS: Record<string, string> = {
	token: 'token TEXT',
	releases: 'releases INTEGER NOT NULL DEFAULT 0',
	crashes: 'crashes INTEGER NOT NULL DEFAULT 0',
};

const COLUMNS =
	'state, attempts, fingerprint, result, claimed_at, completed_at, lease_expires_at, expires_at, updated_at, token, releases, crashes';

interface Row {
	state: KeyState;
	attempts: number;
	fingerprint: string | null;
	result: string | null;
	claimed_at: number | null;
	completed_at: number | null;
	lease_expires_at: number | null;
	expires_at: number;
	updated_at: number;
	token: string | null;
	releases: number;
	crashes: number;
}

interface EvictedRow {
	namespace: string;
	key: string;
	state: string;
	expires_at: number;
}

interface Statements {
	begin: StatementSync;
	commit: StatementSync;
	rollback: StatementSync;
	select: StatementSync;
	upsert: StatementSync;
	remove: StatementSync;
	addEntries: StatementSync;
	purgeExpired: StatementSync;
	evict: StatementSync;
	evictCrashedClaims: StatementSync;
	countEvicted: StatementSync;
	readEvicted: StatementSync;
	selectVersion: StatementSync;
	upsertVersion: StatementSync;
	purgeExpiredVersions: StatementSync;
	evictVersions: StatementSync;
	selectCursor: StatementSync;
	upsertCursor: StatementSync;
	listKeys: StatementSync;
}

function loadSqlite(): typeof import('node:sqlite') {
	const sqlite = process.getBuiltinModule('node:sqlite');
	if (!sqlite) {
		throw new StoreError(
			`The embedded store needs Node.js 22.5 or newer (module node:sqlite); this is Node.js ${process.versions.node}. Use the Redis or PostgreSQL store instead.`,
			'invalidConfig',
		);
	}
	return sqlite;
}

/**
 * The default store: one SQLite file on the n8n host. Every batch runs in one `BEGIN IMMEDIATE`
 * transaction, which takes the file's write lock before reading, so read-decide-write is atomic
 * for every connection, in this process or another one sharing the file. Cursors have a table of
 * their own, outside the entry count and its eviction.
 */
export class EmbeddedStore implements IdempotencyStore {
	readonly description: string;
	readonly cursors: CursorStore;
	/** Its own tables and bound (not counted as entries, never evicted as keys). */
	readonly inbox: DeliveryInbox;
	private readonly db: DatabaseSync;
	private readonly statements: Statements;
	private readonly maxEntries: number;
	private readonly clock: Clock;
	private readonly logger: StoreLogger;
	private nextPurgeAt = 0;
	/** Rows added (or, when negative, removed) by the running batch, for the entry count. */
	private entryDelta = 0;
	private closed = false;

	constructor(options: EmbeddedStoreOptions) {
		const path = resolve(options.path);
		this.description = `embedded (${path})`;
		this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
		if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
			throw new StoreError(
				`maxEntries must be a whole number of at least 1, got ${String(options.maxEntries)}`,
				'invalidConfig',
			);
		}
		this.clock = options.clock ?? systemClock;
		this.logger = options.logger ?? processWarnings;
		const { DatabaseSync } = loadSqlite();
		try {
			mkdirSync(dirname(path), { recursive: true });
			this.db = new DatabaseSync(path);
		} catch (error) {
			throw new StoreError(
				`Cannot open the embedded store file ${path}: ${(error as Error).message}`,
				'unreachable',
				{ cause: error },
			);
		}
		try {
			// The pragma works on every Node with node:sqlite; the constructor's `timeout` option came later.
			this.db.exec(
				`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;`,
			);
			this.db.exec('BEGIN IMMEDIATE');
			try {
				this.db.exec(SCHEMA);
				this.db.exec(INBOX_SCHEMA);
				this.addMissingColumns();
				// Recounted on every open so the bound heals after rows were removed by hand. (`WHERE true`
				// lets SQLite parse the ON CONFLICT clause after a SELECT.)
				this.db.exec(
					"INSERT INTO store_meta (name, value) SELECT 'entries', (SELECT count(*) FROM idempotency_keys) + (SELECT count(*) FROM entity_versions) WHERE true ON CONFLICT (name) DO UPDATE SET value = excluded.value",
				);
				this.db.exec('COMMIT');
			} catch (error) {
				this.db.exec('ROLLBACK');
				throw error;
			}
			this.statements = this.prepareStatements();
			this.cursors = this.cursorPort();
			this.inbox = new EmbeddedInbox(this.db, {
				write: (operation, work) => this.writeBatch(operation, work),
				read: (operation, work) => {
					this.assertOpen();
					return this.guard(operation, () => work(this.clock()));
				},
			});
		} catch (error) {
			this.db.close();
			throw new StoreError(
				`Cannot use the embedded store file ${path}: ${(error as Error).message}`,
				'unreachable',
				{ cause: error },
			);
		}
	}

	private addMissingColumns(): void {
		const present = new Set(
			(this.db.prepare('PRAGMA table_info(idempotency_keys)').all() as Array<{ name: string }>).map(
				(column) => column.name,
			),
		);
		for (const [name, definition] of Object.entries(ADDED_COLUMNS)) {
			if (!present.has(name)) this.db.exec(`ALTER TABLE idempotency_keys ADD COLUMN ${definition}`);
		}
	}

	private prepareStatements(): Statements {
		const prepare = (sql: string) => this.db.prepare(sql);
		return {
			begin: prepare('BEGIN IMMEDIATE'),
			commit: prepare('COMMIT'),
			rollback: prepare('ROLLBACK'),
			select: prepare(`SELECT ${COLUMNS} FROM idempotency_keys WHERE namespace = ? AND key = ?`),
			upsert: prepare(
				`INSERT INTO idempotency_keys (namespace, key, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (namespace, key) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
					fingerprint = excluded.fingerprint, result = excluded.result, claimed_at = excluded.claimed_at,
					completed_at = excluded.completed_at, lease_expires_at = excluded.lease_expires_at,
					expires_at = excluded.expires_at, updated_at = excluded.updated_at, token = excluded.token,
					releases = excluded.releases, crashes = excluded.crashes`,
			),
			remove: prepare(
				'DELETE FROM idempotency_keys WHERE namespace = ? AND key = ? RETURNING expires_at',
			),
			addEntries: prepare(
				"UPDATE store_meta SET value = value + ? WHERE name = 'entries' RETURNING value",
			),
			// Naming every state lets SQLite walk the (state, expires_at) index instead of the table.
			purgeExpired: prepare(
				`DELETE FROM idempotency_keys WHERE (namespace, key) IN (
					SELECT namespace, key FROM idempotency_keys
					WHERE state IN ('inProgress', 'completed', 'released', 'deadLetter') AND expires_at <= ? LIMIT ?)`,
			),
			evict: prepare(
				`DELETE FROM idempotency_keys WHERE (namespace, key) IN (
					SELECT namespace, key FROM idempotency_keys WHERE state = ? ORDER BY expires_at LIMIT ?)
				RETURNING namespace, key, state, expires_at`,
			),
			evictCrashedClaims: prepare(
				`DELETE FROM idempotency_keys WHERE (namespace, key) IN (
					SELECT namespace, key FROM idempotency_keys
					WHERE state = 'inProgress' AND COALESCE(lease_expires_at, expires_at) <= ? ORDER BY expires_at LIMIT ?)
				RETURNING namespace, key, state, expires_at`,
			),
			countEvicted: prepare("UPDATE store_meta SET value = value + ? WHERE name = 'evicted'"),
			readEvicted: prepare("SELECT value FROM store_meta WHERE name = 'evicted'"),
			selectVersion: prepare(
				'SELECT version, expires_at FROM entity_versions WHERE namespace = ? AND entity = ?',
			),
			upsertVersion: prepare(
				`INSERT INTO entity_versions (namespace, entity, version, expires_at, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (namespace, entity) DO UPDATE SET version = excluded.version,
					expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
			),
			purgeExpiredVersions: prepare(
				`DELETE FROM entity_versions WHERE (namespace, entity) IN (
					SELECT namespace, entity FROM entity_versions WHERE expires_at <= ? LIMIT ?)`,
			),
			evictVersions: prepare(
				`DELETE FROM entity_versions WHERE (namespace, entity) IN (
					SELECT namespace, entity FROM entity_versions ORDER BY expires_at LIMIT ?)
				RETURNING namespace, entity AS key, 'version' AS state, expires_at`,
			),
			selectCursor: prepare('SELECT state FROM cursors WHERE key = ?'),
			upsertCursor: prepare(
				'INSERT INTO cursors (key, state) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state',
			),
			// States travel as a JSON array (NULL for every state); TEXT compares bytes, UTF-8 order.
			listKeys: prepare(
				`SELECT key, ${COLUMNS} FROM idempotency_keys
				WHERE namespace = ? AND key > ? AND expires_at > ?
					AND (? IS NULL OR state IN (SELECT value FROM json_each(?)))
					AND (? IS NULL OR updated_at >= ?)
				ORDER BY key LIMIT ?`,
			),
		};
	}

	/** A single statement each: SQLite runs it atomically, and a write waits for the file's lock. */
	private cursorPort(): CursorStore {
		return {
			read: async (key) => {
				validateCursorKey(key);
				this.assertOpen();
				return this.guard('read a cursor', () => {
					const row = this.statements.selectCursor.get(key) as { state: string } | undefined;
					return decodeResult(row?.state);
				});
			},
			write: async (key, state) => {
				const text = validateCursorWrite(key, state);
				this.assertOpen();
				this.guard('write a cursor', () => this.statements.upsertCursor.run(key, text));
			},
		};
	}

	async claim(
		namespace: string,
		requests: ClaimRequest[],
		options: ClaimOptions,
	): Promise<ClaimOutcome[]> {
		validateClaim(namespace, requests, options);
		return this.writeBatch('claim', (now) =>
			requests.map((request) => {
				const { found, stored } = this.read(namespace, request.key, now);
				const decision = decideClaim(namespace, found, request, newClaimToken(), now, options);
				if (decision.write) this.write(decision.record, stored);
				return { key: request.key, status: decision.status, record: decision.record };
			}),
		);
	}

	async complete(
		namespace: string,
		requests: CompleteRequest[],
		options: CompleteOptions,
	): Promise<CompleteOutcome[]> {
		const results = validateComplete(namespace, requests, options);
		return this.writeBatch('complete', (now) =>
			requests.map((request, position) => {
				const { found, stored } = this.read(namespace, request.key, now);
				const decision = decideComplete(namespace, found, request, now, options.retentionMs);
				if (decision.write) this.write(decision.record, stored, results[position]);
				return { key: request.key, status: decision.status, record: decision.record };
			}),
		);
	}

	async release(
		namespace: string,
		keys: ReadonlyArray<string | ReleaseRequest>,
		options: ReleaseOptions,
	): Promise<ReleaseOutcome[]> {
		const requests = validateRelease(namespace, keys, options);
		return this.writeBatch('release', (now) =>
			requests.map((request) => {
				const { found, stored } = this.read(namespace, request.key, now);
				const decision = decideRelease(
					found,
					request,
					now,
					options.maxAttempts,
					options.deadLetterRetentionMs,
				);
				if (decision.write && decision.record) this.write(decision.record, stored);
				return decision.record
					? { key: request.key, status: decision.status, record: decision.record }
					: { key: request.key, status: decision.status };
			}),
		);
	}

	async markSeen(
		namespace: string,
		keys: string[],
		options: MarkSeenOptions,
	): Promise<MarkSeenOutcome[]> {
		validateMarkSeen(namespace, keys, options);
		return this.writeBatch('markSeen', (now) =>
			keys.map((key) => {
				const { found, stored } = this.read(namespace, key, now);
				const decision = decideMarkSeen(namespace, found, key, now, options.ttlMs);
				if (decision.write) this.write(decision.record, stored);
				return { key, firstSeen: decision.firstSeen, record: decision.record };
			}),
		);
	}

	async recordVersions(
		namespace: string,
		requests: VersionRequest[],
		options: VersionOptions,
	): Promise<VersionOutcome[]> {
		validateRecordVersions(namespace, requests, options);
		return this.writeBatch('record versions', (now) => {
			const stored = new Map<string, VersionRow | undefined>(
				requests.map(({ entity }) => [entity, this.readVersion(namespace, entity)]),
			);
			const live = new Map([...stored].map(([entity, row]) => [entity, liveVersion(row, now)]));
			const { outcomes, raised } = decideVersions(live, requests);
			const expiresAt = now + Math.ceil(options.retentionMs);
			for (const [entity, version] of raised) {
				this.statements.upsertVersion.run(namespace, entity, version, expiresAt, now);
				if (!stored.get(entity)) this.entryDelta += 1;
			}
			return outcomes;
		});
	}

	async readVersions(namespace: string, entities: string[]): Promise<Array<number | undefined>> {
		validateReadVersions(namespace, entities);
		this.assertOpen();
		const now = this.clock();
		return this.guard('read versions', () =>
			entities.map((entity) => liveVersion(this.readVersion(namespace, entity), now)),
		);
	}

	async inspect(namespace: string, keys: string[]): Promise<Array<KeyRecord | undefined>> {
		validateLookup(namespace, keys);
		this.assertOpen();
		const now = this.clock();
		return this.guard('inspect', () => keys.map((key) => this.read(namespace, key, now).found));
	}

	async listKeys(namespace: string, query: ListKeysQuery): Promise<KeyPage> {
		validateListKeys(namespace, query);
		this.assertOpen();
		const now = this.clock();
		const states = query.states ? JSON.stringify(query.states) : null;
		const since = query.updatedSince ?? null;
		return this.guard('list keys', () => {
			const rows = this.statements.listKeys.all(
				namespace,
				query.after ?? '',
				now,
				states,
				states,
				since,
				since,
				query.limit + 1,
			) as unknown as Array<Row & { key: string }>;
			const records = rows.slice(0, query.limit).map((row) => toRecord(namespace, row.key, row));
			return rows.length > query.limit
				? { records, next: records[records.length - 1].key }
				: { records };
		});
	}

	async requeue(namespace: string, keys: string[]): Promise<Array<KeyRecord | undefined>> {
		validateLookup(namespace, keys);
		return this.writeBatch('requeue', (now) =>
			keys.map((key) => {
				const { found, stored } = this.read(namespace, key, now);
				const decision = decideRequeue(found, now);
				if (decision.write && decision.record) this.write(decision.record, stored);
				return decision.record;
			}),
		);
	}

	async forget(namespace: string, keys: string[]): Promise<number> {
		validateLookup(namespace, keys);
		return this.writeBatch('forget', (now) => {
			let live = 0;
			for (const key of keys) {
				const removed = this.statements.remove.get(namespace, key) as
					| { expires_at: number }
					| undefined;
				if (!removed) continue;
				this.entryDelta -= 1;
				if (removed.expires_at > now) live += 1;
			}
			return live;
		});
	}

	async evictions(): Promise<number> {
		this.assertOpen();
		return this.guard('count evictions', () => {
			const row = this.statements.readEvicted.get() as { value: number } | undefined;
			return row?.value ?? 0;
		});
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		this.db.close();
	}

	/** `found` is the live record; `stored` tells whether a row exists at all, expired or not. */
	private read(
		namespace: string,
		key: string,
		now: number,
	): { found?: KeyRecord; stored: boolean } {
		const row = this.statements.select.get(namespace, key) as Row | undefined;
		if (!row) return { stored: false };
		return {
			found: row.expires_at > now ? toRecord(namespace, key, row) : undefined,
			stored: true,
		};
	}

	private readVersion(namespace: string, entity: string): VersionRow | undefined {
		return this.statements.selectVersion.get(namespace, entity) as VersionRow | undefined;
	}

	private write(record: KeyRecord, stored: boolean, resultText?: string): void {
		const text =
			resultText ?? (record.result === undefined ? undefined : JSON.stringify(record.result));
		const values: SQLInputValue[] = [
			record.namespace,
			record.key,
			record.state,
			record.attempts,
			record.fingerprint ?? null,
			text ?? null,
			record.claimedAt ?? null,
			record.completedAt ?? null,
			record.leaseExpiresAt ?? null,
			record.expiresAt,
			record.updatedAt,
			record.token ?? null,
			record.releases ?? 0,
			record.crashes ?? 0,
		];
		this.statements.upsert.run(...values);
		if (!stored) this.entryDelta += 1;
	}

	private writeBatch<T>(operation: string, work: (now: number) => T): T {
		this.assertOpen();
		return this.guard(operation, () => {
			this.statements.begin.run();
			try {
				// Read the time once the write lock is held, so writers see each other's times in order.
				const now = this.clock();
				this.entryDelta = 0;
				const outcome = work(now);
				this.keepBounded(now);
				this.statements.commit.run();
				return outcome;
			} catch (error) {
				this.rollback();
				throw error;
			}
		});
	}

	/** Updates the entry count; purges expired rows now and then, and evicts when over the bound. */
	private keepBounded(now: number): void {
		const { value: entries } = this.statements.addEntries.get(this.entryDelta) as { value: number };
		const over = entries - this.maxEntries;
		if (over <= 0 && now < this.nextPurgeAt) return;
		this.nextPurgeAt = now + PURGE_INTERVAL_MS;
		// Expired rows go first: a live key is evicted only when no expired one is left.
		const purgeLimit = Math.max(PURGE_BATCH, over);
		let removed =
			Number(this.statements.purgeExpired.run(now, purgeLimit).changes) +
			Number(this.statements.purgeExpiredVersions.run(now, purgeLimit).changes);
		const evicted: EvictedRow[] = [];
		for (const kind of EVICTION_ORDER) {
			const excess = entries - removed - evicted.length - this.maxEntries;
			if (excess <= 0) break;
			if (kind === 'version') {
				evicted.push(...(this.statements.evictVersions.all(excess) as unknown as EvictedRow[]));
			} else if (kind === 'crashedClaim') {
				evicted.push(
					...(this.statements.evictCrashedClaims.all(now, excess) as unknown as EvictedRow[]),
				);
			} else {
				evicted.push(...(this.statements.evict.all(kind, excess) as unknown as EvictedRow[]));
			}
		}
		removed += evicted.length;
		if (removed > 0) this.statements.addEntries.get(-removed);
		// Expired rows were purged first, so what is evicted here was still live.
		if (evicted.length > 0) {
			this.statements.countEvicted.run(evicted.length);
			this.reportEvictions(evicted);
		}
	}

	private reportEvictions(evicted: EvictedRow[]): void {
		for (const row of evicted) {
			this.logger.warn(
				`The embedded store evicted an unexpired ${row.state} entry to stay within ${this.maxEntries} entries${row.state === 'completed' ? ': a late duplicate of this key would run again' : ''}. Raise HYBRID_SYNC_STORE_MAX_ENTRIES or use Redis or PostgreSQL.`,
				{
					namespace: row.namespace,
					key: row.key,
					expiresAt: row.expires_at,
					store: this.description,
				},
			);
		}
	}

	private rollback(): void {
		try {
			this.statements.rollback.run();
		} catch {
			// Some failures (a full disk, an I/O error) end the transaction already; nothing is left to undo.
		}
	}

	private guard<T>(operation: string, work: () => T): T {
		try {
			return work();
		} catch (error) {
			if (error instanceof StoreError) throw error;
			throw new StoreError(
				`The ${this.description} store failed to ${operation}: ${(error as Error).message}`,
				'backendFailure',
				{ cause: error },
			);
		}
	}

	private assertOpen(): void {
		if (this.closed)
			throw new StoreError(`The ${this.description} store is closed`, 'invalidConfig');
	}
}

interface VersionRow {
	version: number;
	expires_at: number;
}

function liveVersion(row: VersionRow | undefined, now: number): number | undefined {
	return row && row.expires_at > now ? row.version : undefined;
}

function toRecord(namespace: string, key: string, row: Row): KeyRecord {
	return compactRecord({
		namespace,
		key,
		state: row.state,
		attempts: row.attempts,
		fingerprint: row.fingerprint ?? undefined,
		result: decodeResult(row.result),
		claimedAt: row.claimed_at ?? undefined,
		completedAt: row.completed_at ?? undefined,
		leaseExpiresAt: row.lease_expires_at ?? undefined,
		expiresAt: row.expires_at,
		updatedAt: row.updated_at,
		token: row.token ?? undefined,
		releases: row.releases ?? 0,
		crashes: row.crashes ?? 0,
	});
}

/** Node's own warning channel (stderr): where an eviction goes when no logger was given. */
const processWarnings: StoreLogger = {
	warn: (message, metadata) =>
		process.emitWarning(message, {
			code: 'HYBRID_SYNC_STORE_EVICTION',
			detail: JSON.stringify(metadata),
		}),
};
