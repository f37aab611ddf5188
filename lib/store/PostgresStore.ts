import { createHash } from 'node:crypto';

import { Pool, type PoolClient } from 'pg';

import type { CursorStore } from './CursorStore';
import type { DeliveryInbox } from './DeliveryInbox';
import { type InboxTables, PostgresInbox, type Query, inboxSchema } from './PostgresInbox';
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
	DEFAULT_ATTEMPTS_RETENTION_MS,
	type VersionOptions,
	type VersionOutcome,
	type VersionRequest,
	systemClock,
} from './IdempotencyStore';
import { newClaimToken } from './claimToken';
import {
	type Decision,
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

export interface PostgresStoreOptions {
	host: string;
	port: number;
	database: string;
	user: string;
	password?: string;
	ssl?: boolean;
	/** Defaults to `public`; created when missing. */
	schema?: string;
	/**
	 * Defaults to `hybrid_sync_keys`; created on first use, with `<table>_versions`,
	 * `<table>_cursors` and the inbox's `<table>_inbox`, `<table>_inbox_bodies`, `<table>_rejected`
	 * and `<table>_inbox_counts` beside it.
	 */
	table?: string;
	clock?: Clock;
}

export const DEFAULT_POSTGRES_TABLE = 'hybrid_sync_keys';
const CONNECT_TIMEOUT_MS = 3_000;
const QUERY_TIMEOUT_MS = 30_000;
const POOL_SIZE = 10;
const PURGE_INTERVAL_MS = 60_000;
const PURGE_BATCH = 10_000;
/** Rounds a batch may need when concurrent writers keep changing its keys under it. */
const MAX_ROUNDS = 10;
const MAX_IDENTIFIER_BYTES = 63;

const RECORD_COLUMNS =
	'key, state, attempts, fingerprint, result, claimed_at, completed_at, lease_expires_at, expires_at, updated_at, token, releases, crashes';

/** Columns added after the first release: a table created by it gets them on first use, empty. */
const ADDED_COLUMNS: Record<string, string> = {
	token: 'token text',
	releases: 'releases integer NOT NULL DEFAULT 0',
	crashes: 'crashes integer NOT NULL DEFAULT 0',
};

interface Row {
	key: string;
	state: KeyState;
	attempts: number;
	fingerprint: string | null;
	result: string | null;
	/** bigint columns arrive as strings. */
	claimed_at: string | null;
	completed_at: string | null;
	lease_expires_at: string | null;
	expires_at: string;
	updated_at: string;
	token: string | null;
	releases: number;
	crashes: number;
	/** The row version (`xmin`), on rows read for a later conditional write. */
	version?: string;
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function quoteIdentifier(name: string, what: string): string {
	if (typeof name !== 'string' || name.length === 0 || name.includes('\u0000')) {
		throw new StoreError(`The PostgreSQL ${what} name must be a non-empty text`, 'invalidConfig');
	}
	if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
		throw new StoreError(
			`The PostgreSQL ${what} name "${name}" is longer than ${MAX_IDENTIFIER_BYTES} bytes`,
			'invalidConfig',
		);
	}
	return quote(name);
}

/**
 * A table beside the keys table (the ordering guard's versions, the cursors). PostgreSQL would cut
 * a name over 63 bytes short, possibly to the keys table's own name, so a long one is replaced by
 * a hashed one.
 */
function besideTableName(
	table: string,
	kind: 'versions' | 'cursors' | 'inbox' | 'inbox_bodies' | 'rejected' | 'inbox_counts',
): string {
	const name = `${table}_${kind}`;
	if (Buffer.byteLength(name, 'utf8') <= MAX_IDENTIFIER_BYTES) return name;
	return `hybrid_sync_${kind}_${createHash('sha256').update(table, 'utf8').digest('hex').slice(0, 32)}`;
}

/** Keys up to 8 KB do not fit a btree entry, so the primary key holds their SHA-256 instead. */
const keyHash = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * Multi-row writes lock rows in the order given; every batch giving them in key-hash order keeps
 * concurrent batches from deadlocking on each other.
 */
function inLockOrder<T>(items: T[], keyOf: (item: T) => string): T[] {
	const hashes = new Map(items.map((item) => [item, keyHash(keyOf(item))]));
	return [...items].sort((a, b) => Buffer.compare(hashes.get(a)!, hashes.get(b)!));
}

/** A statement PostgreSQL aborted as a whole because of concurrent writers: safe to run again. */
function isWriteConflict(error: unknown): boolean {
	const code = (error as { cause?: { code?: string } }).cause?.code;
	return code === '40P01' || code === '40001';
}

const optionalNumber = (value: string | null): number | undefined =>
	value === null ? undefined : Number(value);

/**
 * Keys live in one PostgreSQL table shared by every n8n process. Claims and dedup marks are one
 * conditional upsert per batch; complete and release read, decide and write back only rows whose
 * version did not change meanwhile. Keys that lost such a race go round again.
 */
export class PostgresStore implements IdempotencyStore {
	readonly description: string;
	/** One row per cursor, never purged: one statement per read or write. */
	readonly cursors: CursorStore = {
		read: async (key) => {
			validateCursorKey(key);
			await this.prepare();
			const [row] = await this.query<{ state: string }>(
				`SELECT state FROM ${this.qualifiedCursorsTable} WHERE key_hash = $1`,
				[keyHash(key)],
			);
			return decodeResult(row?.state);
		},
		write: async (key, state) => {
			const text = validateCursorWrite(key, state);
			await this.prepare();
			await this.query(
				`INSERT INTO ${this.qualifiedCursorsTable} (key_hash, key, state) VALUES ($1, $2, $3)
				ON CONFLICT (key_hash) DO UPDATE SET state = excluded.state`,
				[keyHash(key), key, text],
			);
		},
	};
	readonly inbox: DeliveryInbox;
	private readonly postgresInbox: PostgresInbox;
	private readonly inboxTables: InboxTables;
	private readonly pool: Pool;
	private readonly address: string;
	private readonly user: string;
	private readonly schema: string;
	private readonly qualifiedTable: string;
	private readonly expiryIndex: string;
	private readonly qualifiedVersionsTable: string;
	private readonly qualifiedCursorsTable: string;
	private readonly clock: Clock;
	private ready: Promise<void> | undefined;
	private nextPurgeAt = 0;

	constructor(options: PostgresStoreOptions) {
		const schema = options.schema || 'public';
		const table = options.table || DEFAULT_POSTGRES_TABLE;
		this.schema = schema;
		this.qualifiedTable = `${quoteIdentifier(schema, 'schema')}.${quoteIdentifier(table, 'table')}`;
		// PostgreSQL shortens a name over 63 bytes itself.
		this.expiryIndex = quote(`${table}_expires_at`);
		this.qualifiedVersionsTable = `${quoteIdentifier(schema, 'schema')}.${quote(besideTableName(table, 'versions'))}`;
		this.qualifiedCursorsTable = `${quoteIdentifier(schema, 'schema')}.${quote(besideTableName(table, 'cursors'))}`;
		const beside = (kind: Parameters<typeof besideTableName>[1]) =>
			`${quoteIdentifier(schema, 'schema')}.${quote(besideTableName(table, kind))}`;
		this.inboxTables = {
			entries: beside('inbox'),
			bodies: beside('inbox_bodies'),
			rejected: beside('rejected'),
			counts: beside('inbox_counts'),
		};
		this.address = `${options.host}:${options.port}`;
		this.user = options.user;
		this.description = `postgres (${options.user}@${this.address}/${options.database}, ${schema}.${table})`;
		this.clock = options.clock ?? systemClock;
		this.pool = new Pool({
			host: options.host,
			port: options.port,
			database: options.database,
			user: options.user,
			password: options.password,
			ssl: options.ssl || undefined,
			max: POOL_SIZE,
			connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
			query_timeout: QUERY_TIMEOUT_MS,
			idleTimeoutMillis: 30_000,
			application_name: 'n8n-nodes-hybrid-sync',
		});
		// An idle connection that breaks (server restart) is replaced on next use; unhandled, this
		// event would crash the n8n process.
		this.pool.on('error', () => undefined);
		this.postgresInbox = new PostgresInbox(this.inboxTables, {
			clock: () => this.clock(),
			prepare: async () => await this.prepare(),
			query: async (sql, values) => await this.query(sql, values),
			transaction: async (work) => await this.transaction(work),
			retryConflicts: async (work) => await this.retryConflicts(work),
		});
		this.inbox = this.postgresInbox;
	}

	/**
	 * A key that is absent (or expired) is claimed by the one upsert; a released key, or a lease
	 * that ran out, is read, decided by the shared rules and written back if unchanged.
	 */
	async claim(
		namespace: string,
		requests: ClaimRequest[],
		options: ClaimOptions,
	): Promise<ClaimOutcome[]> {
		validateClaim(namespace, requests, options);
		const keys = requests.map((request) => request.key);
		const tokens = requests.map(() => newClaimToken());
		const leaseMs = Math.ceil(options.leaseMs);
		const retentionMs = Math.ceil(options.deadLetterRetentionMs ?? DEFAULT_ATTEMPTS_RETENTION_MS);
		return this.upsertInRounds<ClaimOutcome>(
			namespace,
			keys,
			(indexes, now) =>
				this.query(
					`INSERT INTO ${this.qualifiedTable} AS cur
						(namespace, key_hash, key, state, attempts, releases, crashes, token, fingerprint, claimed_at, lease_expires_at, expires_at, updated_at)
					SELECT $1, input.key_hash, input.key, 'inProgress', 1, 0, 0, input.token, input.fingerprint, $4::bigint, $5::bigint, $5::bigint + $8::bigint, $4::bigint
					FROM unnest($2::bytea[], $3::text[], $6::text[], $7::text[]) AS input (key_hash, key, fingerprint, token)
					ON CONFLICT (namespace, key_hash) DO UPDATE SET
						state = 'inProgress', attempts = 1, releases = 0, crashes = 0, token = excluded.token,
						fingerprint = excluded.fingerprint, result = NULL, claimed_at = $4::bigint, completed_at = NULL,
						lease_expires_at = excluded.lease_expires_at, expires_at = excluded.expires_at, updated_at = $4::bigint
					WHERE cur.expires_at <= $4::bigint
					RETURNING ${RECORD_COLUMNS}`,
					[
						namespace,
						indexes.map((index) => keyHash(keys[index])),
						indexes.map((index) => keys[index]),
						now,
						now + leaseMs,
						indexes.map((index) => requests[index].fingerprint ?? null),
						indexes.map((index) => tokens[index]),
						retentionMs,
					],
				),
			(index, record) => ({ key: keys[index], status: 'claimed', record }),
			(index, found, now) => {
				const decision = decideClaim(
					namespace,
					found,
					requests[index],
					tokens[index],
					now,
					options,
				);
				return {
					decision,
					outcome: { key: keys[index], status: decision.status, record: decision.record },
				};
			},
		);
	}

	async markSeen(
		namespace: string,
		keys: string[],
		options: MarkSeenOptions,
	): Promise<MarkSeenOutcome[]> {
		validateMarkSeen(namespace, keys, options);
		const ttlMs = Math.ceil(options.ttlMs);
		return this.upsertInRounds<MarkSeenOutcome>(
			namespace,
			keys,
			(indexes, now) =>
				this.query(
					`INSERT INTO ${this.qualifiedTable} AS cur
						(namespace, key_hash, key, state, attempts, completed_at, expires_at, updated_at)
					SELECT $1, input.key_hash, input.key, 'completed', 0, $4::bigint, $5::bigint, $4::bigint
					FROM unnest($2::bytea[], $3::text[]) AS input (key_hash, key)
					ON CONFLICT (namespace, key_hash) DO UPDATE SET
						state = 'completed', attempts = 0, releases = 0, crashes = 0, token = NULL,
						fingerprint = NULL, result = NULL, claimed_at = NULL,
						completed_at = $4::bigint, lease_expires_at = NULL, expires_at = excluded.expires_at, updated_at = $4::bigint
					WHERE cur.expires_at <= $4::bigint
					RETURNING ${RECORD_COLUMNS}`,
					[
						namespace,
						indexes.map((index) => keyHash(keys[index])),
						indexes.map((index) => keys[index]),
						now,
						now + ttlMs,
					],
				),
			(index, record) => ({ key: keys[index], firstSeen: true, record }),
			(index, found, now) => {
				const decision = decideMarkSeen(namespace, found, keys[index], now, ttlMs);
				return {
					decision,
					outcome: { key: keys[index], firstSeen: decision.firstSeen, record: decision.record },
				};
			},
		);
	}

	async complete(
		namespace: string,
		requests: CompleteRequest[],
		options: CompleteOptions,
	): Promise<CompleteOutcome[]> {
		validateComplete(namespace, requests, options);
		const keys = requests.map((request) => request.key);
		return this.readDecideWrite(namespace, keys, (index, found, now) => {
			const decision = decideComplete(namespace, found, requests[index], now, options.retentionMs);
			return {
				decision,
				outcome: { key: keys[index], status: decision.status, record: decision.record },
			};
		});
	}

	async release(
		namespace: string,
		given: ReadonlyArray<string | ReleaseRequest>,
		options: ReleaseOptions,
	): Promise<ReleaseOutcome[]> {
		const requests = validateRelease(namespace, given, options);
		const keys = requests.map((request) => request.key);
		return this.readDecideWrite(namespace, keys, (index, found, now) => {
			const decision = decideRelease(
				found,
				requests[index],
				now,
				options.maxAttempts,
				options.deadLetterRetentionMs,
			);
			const outcome: ReleaseOutcome = decision.record
				? { key: keys[index], status: decision.status, record: decision.record }
				: { key: keys[index], status: decision.status };
			return { decision, outcome };
		});
	}

	/**
	 * One transaction: makes sure every entity has a row (an expired placeholder when new), locks
	 * the rows in a fixed order, decides the batch with the shared rules and writes the raised ones.
	 * A concurrent batch on the same entities waits for the row locks, so raises never interleave.
	 */
	async recordVersions(
		namespace: string,
		requests: VersionRequest[],
		options: VersionOptions,
	): Promise<VersionOutcome[]> {
		validateRecordVersions(namespace, requests, options);
		if (requests.length === 0) return [];
		const retentionMs = Math.ceil(options.retentionMs);
		const entities = inLockOrder([...new Set(requests.map((request) => request.entity))], (e) => e);
		const hashes = entities.map(keyHash);
		for (let round = 0; ; round++) {
			if (round === MAX_ROUNDS) throw this.unsettled();
			await this.prepare();
			const client = await this.connect();
			try {
				await client.query('BEGIN');
				await client.query(
					`INSERT INTO ${this.qualifiedVersionsTable} (namespace, entity_hash, entity, version, expires_at, updated_at)
					SELECT $1, input.entity_hash, input.entity, '-Infinity', 0, 0
					FROM unnest($2::bytea[], $3::text[]) WITH ORDINALITY AS input (entity_hash, entity, position)
					ORDER BY input.position
					ON CONFLICT (namespace, entity_hash) DO NOTHING`,
					[namespace, hashes, entities],
				);
				const { rows } = await client.query<{
					entity: string;
					version: number;
					expires_at: string;
				}>(
					`SELECT entity, version, expires_at FROM ${this.qualifiedVersionsTable}
					WHERE namespace = $1 AND entity_hash = ANY ($2::bytea[]) ORDER BY entity_hash FOR UPDATE`,
					[namespace, hashes],
				);
				const now = this.clock();
				const live = new Map(
					rows.map((row) => [
						row.entity,
						Number(row.expires_at) > now ? Number(row.version) : undefined,
					]),
				);
				const { outcomes, raised } = decideVersions(live, requests);
				await client.query(
					`UPDATE ${this.qualifiedVersionsTable} AS cur SET version = input.version,
						expires_at = $4::bigint, updated_at = $5::bigint
					FROM unnest($2::bytea[], $3::float8[]) AS input (entity_hash, version)
					WHERE cur.namespace = $1 AND cur.entity_hash = input.entity_hash`,
					[
						namespace,
						[...raised.keys()].map(keyHash),
						[...raised.values()],
						now + retentionMs,
						now,
					],
				);
				await client.query('COMMIT');
				return outcomes;
			} catch (error) {
				await client.query('ROLLBACK').catch(() => undefined);
				const failure = this.failure(error);
				if (isWriteConflict(failure)) continue;
				throw failure;
			} finally {
				client.release();
			}
		}
	}

	async readVersions(namespace: string, entities: string[]): Promise<Array<number | undefined>> {
		validateReadVersions(namespace, entities);
		if (entities.length === 0) return [];
		await this.prepare();
		const now = this.clock();
		const rows = await this.query<{ entity: string; version: number; expires_at: string }>(
			`SELECT entity, version, expires_at FROM ${this.qualifiedVersionsTable}
			WHERE namespace = $1 AND entity_hash = ANY ($2::bytea[])`,
			[namespace, [...new Set(entities)].map(keyHash)],
		);
		const live = new Map(
			rows
				.filter((row) => Number(row.expires_at) > now)
				.map((row) => [row.entity, Number(row.version)]),
		);
		return entities.map((entity) => live.get(entity));
	}

	async inspect(namespace: string, keys: string[]): Promise<Array<KeyRecord | undefined>> {
		validateLookup(namespace, keys);
		if (keys.length === 0) return [];
		await this.prepare();
		const now = this.clock();
		const rows = await this.readRows(namespace, [...new Set(keys)]);
		return keys.map((key) => liveRecord(namespace, rows.get(key), now));
	}

	async listKeys(namespace: string, query: ListKeysQuery): Promise<KeyPage> {
		validateListKeys(namespace, query);
		await this.prepare();
		// Keys up to 8 KB fit no btree, so a page is sorted; listing is for operators, not the hot path.
		const rows = await this.query<Row>(
			`SELECT ${RECORD_COLUMNS} FROM ${this.qualifiedTable}
			WHERE namespace = $1 AND ($2::text IS NULL OR key COLLATE "C" > $2) AND expires_at > $3
				AND ($4::text[] IS NULL OR state = ANY ($4::text[])) AND ($5::bigint IS NULL OR updated_at >= $5)
			ORDER BY key COLLATE "C" LIMIT $6`,
			[
				namespace,
				query.after ?? null,
				this.clock(),
				query.states ?? null,
				query.updatedSince ?? null,
				query.limit + 1,
			],
		);
		const records = rows.slice(0, query.limit).map((row) => toRecord(namespace, row));
		return rows.length > query.limit
			? { records, next: records[records.length - 1].key }
			: { records };
	}

	async requeue(namespace: string, keys: string[]): Promise<Array<KeyRecord | undefined>> {
		validateLookup(namespace, keys);
		return this.readDecideWrite(namespace, keys, (_index, found, now) => {
			const decision = decideRequeue(found, now);
			return { decision, outcome: decision.record };
		});
	}

	async forget(namespace: string, keys: string[]): Promise<number> {
		validateLookup(namespace, keys);
		if (keys.length === 0) return 0;
		await this.prepare();
		const now = this.clock();
		const removed = await this.query<{ expires_at: string }>(
			`DELETE FROM ${this.qualifiedTable} WHERE namespace = $1 AND key_hash = ANY ($2::bytea[]) RETURNING expires_at`,
			[namespace, [...new Set(keys)].map(keyHash)],
		);
		return removed.filter((row) => Number(row.expires_at) > now).length;
	}

	/** The table has no size bound: nothing is ever evicted before it expires. */
	async evictions(): Promise<number> {
		return 0;
	}

	async close(): Promise<void> {
		await this.pool.end();
	}

	/**
	 * Claim and markSeen: the first pending copy of each key goes into one conditional upsert, whose
	 * RETURNING lists the keys it wrote (absent or expired ones). The others are read back and
	 * judged by the shared state machine; what it decides to write is written only if the row is
	 * still the version read, else the key goes round again. A later copy of a key in the batch
	 * waits for the copies before it, so the first copy wins.
	 */
	private async upsertInRounds<O>(
		namespace: string,
		keys: string[],
		upsert: (indexes: number[], now: number) => Promise<Row[]>,
		written: (index: number, record: KeyRecord) => O,
		decide: (
			index: number,
			found: KeyRecord | undefined,
			now: number,
		) => { decision: Pick<Decision<unknown>, 'record' | 'write'>; outcome: O },
	): Promise<O[]> {
		const outcomes = new Array<O>(keys.length);
		let pending = keys.map((_, index) => index);
		for (let round = 0; pending.length > 0; round++) {
			if (round === MAX_ROUNDS) throw this.unsettled();
			await this.prepare();
			const now = this.clock();
			const firsts = firstCopies(keys, pending);
			let upserted: Row[];
			try {
				upserted = await upsert(
					inLockOrder(firsts, (index) => keys[index]),
					now,
				);
			} catch (error) {
				if (isWriteConflict(error)) continue;
				throw error;
			}
			const writtenRows = new Map(upserted.map((row) => [row.key, row]));
			const unwritten = firsts.map((index) => keys[index]).filter((key) => !writtenRows.has(key));
			const readRows =
				unwritten.length > 0 ? await this.readRows(namespace, unwritten) : new Map<string, Row>();
			const latest = new Map<string, KeyRecord | undefined>();
			const blocked = new Set<string>();
			const firstSet = new Set(firsts);
			const writes: Array<{
				index: number;
				record: KeyRecord;
				version: string | undefined;
				outcome: O;
			}> = [];
			pending = pending.filter((index) => {
				const key = keys[index];
				if (blocked.has(key)) return true;
				const row = firstSet.has(index) ? writtenRows.get(key) : undefined;
				if (row) {
					const record = toRecord(namespace, row);
					latest.set(key, record);
					outcomes[index] = written(index, record);
					return false;
				}
				const found = latest.has(key)
					? latest.get(key)
					: liveRecord(namespace, readRows.get(key), now);
				const { decision, outcome } = decide(index, found, now);
				if (decision.write && decision.record) {
					blocked.add(key);
					writes.push({
						index,
						record: decision.record,
						version: readRows.get(key)?.version,
						outcome,
					});
					return true;
				}
				latest.set(key, found);
				outcomes[index] = outcome;
				return false;
			});
			if (writes.length === 0) continue;
			let stored: Set<string>;
			try {
				stored = await this.writeIfUnchanged(
					namespace,
					inLockOrder(writes, (write) => write.record.key),
				);
			} catch (error) {
				if (isWriteConflict(error)) continue;
				throw error;
			}
			const settled = new Set<number>();
			for (const write of writes) {
				if (!stored.has(write.record.key)) continue;
				outcomes[write.index] = write.outcome;
				settled.add(write.index);
			}
			pending = pending.filter((index) => !settled.has(index));
		}
		return outcomes;
	}

	/**
	 * Complete and release: reads the rows with their version, decides every copy in order with
	 * the shared state machine, then writes each changed key only if its row is still the version
	 * read (or still absent). Keys whose write lost a race are read and decided again.
	 */
	private async readDecideWrite<O>(
		namespace: string,
		keys: string[],
		decide: (
			index: number,
			found: KeyRecord | undefined,
			now: number,
		) => { decision: Decision<unknown>; outcome: O },
	): Promise<O[]> {
		const outcomes = new Array<O>(keys.length);
		let pending = keys.map((_, index) => index);
		for (let round = 0; pending.length > 0; round++) {
			if (round === MAX_ROUNDS) throw this.unsettled();
			await this.prepare();
			const now = this.clock();
			const rows = await this.readRows(namespace, [
				...new Set(pending.map((index) => keys[index])),
			]);
			const current = new Map<string, KeyRecord | undefined>();
			const changed = new Map<string, KeyRecord>();
			for (const index of pending) {
				const key = keys[index];
				const found = current.has(key)
					? current.get(key)
					: liveRecord(namespace, rows.get(key), now);
				const { decision, outcome } = decide(index, found, now);
				outcomes[index] = outcome;
				current.set(key, decision.record);
				if (decision.write && decision.record) changed.set(key, decision.record);
			}
			const writes = inLockOrder([...changed.values()], (record) => record.key).map((record) => ({
				record,
				version: rows.get(record.key)?.version,
			}));
			let stored: Set<string>;
			try {
				stored = await this.writeIfUnchanged(namespace, writes);
			} catch (error) {
				if (isWriteConflict(error)) continue;
				throw error;
			}
			pending = pending.filter((index) => changed.has(keys[index]) && !stored.has(keys[index]));
		}
		return outcomes;
	}

	/** Writes records whose row still has the version read (or, with no version, is still absent). */
	private async writeIfUnchanged(
		namespace: string,
		writes: Array<{ record: KeyRecord; version: string | undefined }>,
	): Promise<Set<string>> {
		if (writes.length === 0) return new Set();
		const column = <T>(pick: (record: KeyRecord) => T) => writes.map(({ record }) => pick(record));
		// `xmin` changes with every write of a row: while it equals the version read, nobody wrote it since.
		const rows = await this.query<{ key: string }>(
			`WITH input AS (
				SELECT * FROM unnest($2::bytea[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[],
					$8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[],
					$14::text[], $15::int[], $16::int[])
				AS input (key_hash, key, state, attempts, fingerprint, result,
					claimed_at, completed_at, lease_expires_at, expires_at, updated_at, version, token, releases, crashes)
			), updated AS (
				UPDATE ${this.qualifiedTable} AS cur SET
					state = input.state, attempts = input.attempts, fingerprint = input.fingerprint, result = input.result,
					claimed_at = input.claimed_at, completed_at = input.completed_at,
					lease_expires_at = input.lease_expires_at, expires_at = input.expires_at, updated_at = input.updated_at,
					token = input.token, releases = input.releases, crashes = input.crashes
				FROM input
				WHERE input.version IS NOT NULL AND cur.namespace = $1 AND cur.key_hash = input.key_hash
					AND cur.xmin::text = input.version
				RETURNING cur.key
			), inserted AS (
				INSERT INTO ${this.qualifiedTable} (namespace, key_hash, key, state, attempts, fingerprint, result,
					claimed_at, completed_at, lease_expires_at, expires_at, updated_at, token, releases, crashes)
				SELECT $1, key_hash, key, state, attempts, fingerprint, result,
					claimed_at, completed_at, lease_expires_at, expires_at, updated_at, token, releases, crashes
				FROM input WHERE input.version IS NULL
				ON CONFLICT (namespace, key_hash) DO NOTHING
				RETURNING key
			)
			SELECT key FROM updated UNION ALL SELECT key FROM inserted`,
			[
				namespace,
				column((record) => keyHash(record.key)),
				column((record) => record.key),
				column((record) => record.state),
				column((record) => record.attempts),
				column((record) => record.fingerprint ?? null),
				column((record) => (record.result === undefined ? null : JSON.stringify(record.result))),
				column((record) => record.claimedAt ?? null),
				column((record) => record.completedAt ?? null),
				column((record) => record.leaseExpiresAt ?? null),
				column((record) => record.expiresAt),
				column((record) => record.updatedAt),
				writes.map(({ version }) => version ?? null),
				column((record) => record.token ?? null),
				column((record) => record.releases ?? 0),
				column((record) => record.crashes ?? 0),
			],
		);
		return new Set(rows.map((row) => row.key));
	}

	/** Every stored row of the keys, expired or not, with its version. */
	private async readRows(namespace: string, keys: string[]): Promise<Map<string, Row>> {
		const rows = await this.query<Row>(
			`SELECT ${RECORD_COLUMNS}, xmin::text AS version FROM ${this.qualifiedTable}
			WHERE namespace = $1 AND key_hash = ANY ($2::bytea[])`,
			[namespace, keys.map(keyHash)],
		);
		return new Map(rows.map((row) => [row.key, row]));
	}

	/** Creates the table on first use, then purges expired rows now and then. */
	private async prepare(): Promise<void> {
		this.ready ??= this.createTable().catch((error: unknown) => {
			this.ready = undefined;
			throw error;
		});
		await this.ready;
		const now = this.clock();
		if (now < this.nextPurgeAt) return;
		this.nextPurgeAt = now + PURGE_INTERVAL_MS;
		// SKIP LOCKED: the purge never waits for a batch, so it cannot deadlock with one.
		for (const table of [this.qualifiedTable, this.qualifiedVersionsTable]) {
			await this.query(
				`DELETE FROM ${table} WHERE ctid = ANY (ARRAY(
					SELECT ctid FROM ${table} WHERE expires_at <= $1 LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED))`,
				[now],
			);
		}
		await this.postgresInbox.purgeExpired(now);
	}

	private async createTable(): Promise<void> {
		const client = await this.connect();
		try {
			await client.query('BEGIN');
			// Several n8n processes may meet an empty database at once; CREATE .. IF NOT EXISTS alone races.
			await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
				`hybrid-sync ${this.qualifiedTable}`,
			]);
			const { rows } = await client.query<{ found: string | null }>(
				'SELECT to_regclass($1)::text AS found',
				[this.qualifiedTable],
			);
			if (!rows[0].found) {
				const schemaExists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
					this.schema,
				]);
				if (schemaExists.rowCount === 0) {
					await client.query(`CREATE SCHEMA ${quoteIdentifier(this.schema, 'schema')}`);
				}
				await client.query(`CREATE TABLE ${this.qualifiedTable} (
					namespace text COLLATE "C" NOT NULL,
					key_hash bytea NOT NULL,
					key text NOT NULL,
					state text NOT NULL,
					attempts integer NOT NULL,
					fingerprint text,
					result text,
					claimed_at bigint,
					completed_at bigint,
					lease_expires_at bigint,
					expires_at bigint NOT NULL,
					updated_at bigint NOT NULL,
					token text,
					releases integer NOT NULL DEFAULT 0,
					crashes integer NOT NULL DEFAULT 0,
					PRIMARY KEY (namespace, key_hash)
				)`);
				await client.query(
					`CREATE INDEX ${this.expiryIndex} ON ${this.qualifiedTable} (expires_at)`,
				);
			}
			const { rows: columns } = await client.query<{ name: string }>(
				'SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
				[this.qualifiedTable],
			);
			const present = new Set(columns.map((column) => column.name));
			for (const [name, definition] of Object.entries(ADDED_COLUMNS)) {
				if (!present.has(name))
					await client.query(`ALTER TABLE ${this.qualifiedTable} ADD COLUMN ${definition}`);
			}
			// Checked on its own: a keys table created by an earlier release has no versions table yet.
			const versions = await client.query<{ found: string | null }>(
				'SELECT to_regclass($1)::text AS found',
				[this.qualifiedVersionsTable],
			);
			if (!versions.rows[0].found) {
				await client.query(`CREATE TABLE ${this.qualifiedVersionsTable} (
					namespace text COLLATE "C" NOT NULL,
					entity_hash bytea NOT NULL,
					entity text NOT NULL,
					version double precision NOT NULL,
					expires_at bigint NOT NULL,
					updated_at bigint NOT NULL,
					PRIMARY KEY (namespace, entity_hash)
				)`);
				// Unnamed: PostgreSQL picks a free name, where a shortened one could meet the keys table's.
				await client.query(`CREATE INDEX ON ${this.qualifiedVersionsTable} (expires_at)`);
			}
			// IF NOT EXISTS is safe here: the advisory lock above keeps other creators out.
			await client.query(`CREATE TABLE IF NOT EXISTS ${this.qualifiedCursorsTable} (
				key_hash bytea PRIMARY KEY,
				key text NOT NULL,
				state text NOT NULL
			)`);
			for (const statement of inboxSchema(this.inboxTables)) await client.query(statement);
			await client.query('COMMIT');
		} catch (error) {
			await client.query('ROLLBACK').catch(() => undefined);
			throw this.failure(error);
		} finally {
			client.release();
		}
	}

	private async transaction<T>(work: (query: Query) => Promise<T>): Promise<T> {
		const client = await this.connect();
		const query: Query = async (sql, values) => {
			try {
				return (await client.query(sql, values)).rows;
			} catch (error) {
				throw this.failure(error);
			}
		};
		try {
			await query('BEGIN', []);
			const outcome = await work(query);
			await query('COMMIT', []);
			return outcome;
		} catch (error) {
			await client.query('ROLLBACK').catch(() => undefined);
			throw error;
		} finally {
			client.release();
		}
	}

	private async retryConflicts<T>(work: () => Promise<T>): Promise<T> {
		for (let round = 0; ; round++) {
			try {
				return await work();
			} catch (error) {
				if (round + 1 < MAX_ROUNDS && isWriteConflict(error)) continue;
				throw error;
			}
		}
	}

	private async connect(): Promise<PoolClient> {
		try {
			return await this.pool.connect();
		} catch (error) {
			throw this.failure(error);
		}
	}

	private async query<R extends object = Row>(sql: string, values: unknown[]): Promise<R[]> {
		try {
			return (await this.pool.query<R>(sql, values)).rows;
		} catch (error) {
			throw this.failure(error);
		}
	}

	private unsettled(): StoreError {
		return new StoreError(
			`PostgreSQL at ${this.address}: keys kept changing under this batch for ${MAX_ROUNDS} rounds`,
			'backendFailure',
		);
	}

	private failure(error: unknown): StoreError {
		if (error instanceof StoreError) return error;
		const message = error instanceof Error ? error.message : String(error);
		const code = (error as { code?: string }).code ?? '';
		if (['28P01', '28000'].includes(code)) {
			return new StoreError(
				`PostgreSQL at ${this.address} refused the username or password (user "${this.user}"): ${message}`,
				'invalidConfig',
				{
					cause: error,
				},
			);
		}
		if (['3D000', '42501', '3F000'].includes(code)) {
			return new StoreError(`PostgreSQL at ${this.address}: ${message}`, 'invalidConfig', {
				cause: error,
			});
		}
		if (
			/^(08|57P)/.test(code) ||
			/ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|timeout|Connection terminated/i.test(
				message,
			)
		) {
			return new StoreError(
				`Cannot reach PostgreSQL at ${this.address}: ${message}`,
				'unreachable',
				{ cause: error },
			);
		}
		return new StoreError(`PostgreSQL at ${this.address} failed: ${message}`, 'backendFailure', {
			cause: error,
		});
	}
}

/** The first pending index of every distinct key, in order. */
function firstCopies(keys: string[], pending: number[]): number[] {
	const seen = new Set<string>();
	return pending.filter((index) => {
		if (seen.has(keys[index])) return false;
		seen.add(keys[index]);
		return true;
	});
}

function liveRecord(namespace: string, row: Row | undefined, now: number): KeyRecord | undefined {
	return row && Number(row.expires_at) > now ? toRecord(namespace, row) : undefined;
}

function toRecord(namespace: string, row: Row): KeyRecord {
	return compactRecord({
		namespace,
		key: row.key,
		state: row.state,
		attempts: Number(row.attempts),
		fingerprint: row.fingerprint ?? undefined,
		result: decodeResult(row.result),
		claimedAt: optionalNumber(row.claimed_at),
		completedAt: optionalNumber(row.completed_at),
		leaseExpiresAt: optionalNumber(row.lease_expires_at),
		expiresAt: Number(row.expires_at),
		updatedAt: Number(row.updated_at),
		token: row.token ?? undefined,
		releases: Number(row.releases ?? 0),
		crashes: Number(row.crashes ?? 0),
	});
}
