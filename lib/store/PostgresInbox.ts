import { createHash } from 'node:crypto';

import type {
	DeliveryInbox,
	InboxBounds,
	InboxEntry,
	InboxEntryWithBody,
	InboxPage,
	InboxQuery,
	InboxTally,
	KeepOutcome,
	KeepRequest,
	RejectedDelivery,
} from './DeliveryInbox';
import type { Clock } from './IdempotencyStore';
import {
	type EncodedEvent,
	validateGet,
	validateInboxFilter,
	validateInboxQuery,
	validateKeep,
	validateRejection,
	validateRejectionsQuery,
	validateTally,
} from './inboxRules';

/** Qualified, quoted names of the inbox's tables beside the keys table. */
export interface InboxTables {
	entries: string;
	bodies: string;
	rejected: string;
	/** Per namespace: entries and rejections kept (for the bounds), entries dropped. */
	counts: string;
}

export type Query = <R extends object>(sql: string, values: unknown[]) => Promise<R[]>;

/** What the inbox needs of its store: time, queries on its pool, and its tables made. */
export interface PostgresAccess {
	clock: Clock;
	/** Makes the tables on first use (and purges expired rows now and then). */
	prepare(): Promise<void>;
	query: Query;
	/** Runs `work` in one transaction on one connection, committed when it resolves. */
	transaction<T>(work: (query: Query) => Promise<T>): Promise<T>;
	/** Runs `work` again while PostgreSQL aborted it whole for a deadlock or serialization failure. */
	retryConflicts<T>(work: () => Promise<T>): Promise<T>;
}

const PURGE_BATCH = 10_000;
/** Event ids up to 8 KB do not fit a btree entry, so the primary key holds their SHA-256. */
const eventHash = (eventId: string): Buffer =>
	createHash('sha256').update(eventId, 'utf8').digest();

const ENTRY_COLUMNS =
	'event_id, event_type, scheme, path, envelope, headers, body_hash, received_at, last_received_at, receipts, expires_at';

/** Created under the store's advisory lock, so IF NOT EXISTS cannot race. */
export function inboxSchema(tables: InboxTables): string[] {
	return [
		`CREATE TABLE IF NOT EXISTS ${tables.entries} (
			namespace text COLLATE "C" NOT NULL,
			event_hash bytea NOT NULL,
			event_id text COLLATE "C" NOT NULL,
			event_type text,
			scheme text NOT NULL,
			path text NOT NULL,
			envelope text NOT NULL,
			headers text NOT NULL,
			body_hash text NOT NULL,
			received_at bigint NOT NULL,
			last_received_at bigint NOT NULL,
			receipts integer NOT NULL,
			expires_at bigint NOT NULL,
			PRIMARY KEY (namespace, event_hash)
		)`,
		// Unnamed indexes: PostgreSQL picks free names, where shortened ones could collide.
		`CREATE INDEX IF NOT EXISTS ${indexName(tables.entries, 'time')} ON ${tables.entries} (namespace, received_at)`,
		`CREATE INDEX IF NOT EXISTS ${indexName(tables.entries, 'expiry')} ON ${tables.entries} (expires_at)`,
		`CREATE INDEX IF NOT EXISTS ${indexName(tables.entries, 'body')} ON ${tables.entries} (body_hash)`,
		`CREATE TABLE IF NOT EXISTS ${tables.bodies} (
			hash text PRIMARY KEY,
			body bytea NOT NULL,
			expires_at bigint NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS ${indexName(tables.bodies, 'expiry')} ON ${tables.bodies} (expires_at)`,
		`CREATE TABLE IF NOT EXISTS ${tables.rejected} (
			id bigserial PRIMARY KEY,
			namespace text COLLATE "C" NOT NULL,
			at bigint NOT NULL,
			path text NOT NULL,
			scheme text NOT NULL,
			reason text NOT NULL,
			status integer NOT NULL,
			headers text NOT NULL,
			body_prefix bytea NOT NULL,
			source_ip text,
			expires_at bigint NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS ${indexName(tables.rejected, 'time')} ON ${tables.rejected} (namespace, at)`,
		`CREATE INDEX IF NOT EXISTS ${indexName(tables.rejected, 'expiry')} ON ${tables.rejected} (expires_at)`,
		`CREATE TABLE IF NOT EXISTS ${tables.counts} (
			namespace text COLLATE "C" PRIMARY KEY,
			entries bigint NOT NULL DEFAULT 0,
			dropped bigint NOT NULL DEFAULT 0,
			rejections bigint NOT NULL DEFAULT 0
		)`,
	];
}

/** An index name derived from its table's (quoted, qualified) name, hashed to stay short. */
function indexName(table: string, kind: string): string {
	return `"hybrid_sync_${kind}_${createHash('sha256').update(table).digest('hex').slice(0, 32)}"`;
}

interface EntryRow {
	event_id: string;
	event_type: string | null;
	scheme: string;
	path: string;
	envelope: string;
	headers: string;
	body_hash: string;
	/** bigint columns arrive as strings. */
	received_at: string;
	last_received_at: string;
	receipts: number;
	expires_at: string;
}

interface RejectionRow {
	at: string;
	path: string;
	scheme: string;
	reason: string;
	status: number;
	headers: string;
	body_prefix: Buffer;
	source_ip: string | null;
}

/**
 * `store.inbox` of the PostgreSQL store. A keep is one statement: the entries' upsert, the body's
 * upsert (or the retention of the bodies its repeats use) and the namespace's count, all atomic;
 * concurrent keeps of one event meet on its row, so exactly one inserts it. Only a keep that
 * takes the namespace over its bound runs a second, short transaction that drops the oldest.
 */
export class PostgresInbox implements DeliveryInbox {
	constructor(
		private readonly tables: InboxTables,
		private readonly access: PostgresAccess,
	) {}

	async keep(namespace: string, request: KeepRequest, bounds: InboxBounds): Promise<KeepOutcome[]> {
		const { bodyHash, encoded } = validateKeep(namespace, request, bounds);
		await this.access.prepare();
		const outcomes = new Array<KeepOutcome>(request.events.length);
		// An upsert may meet a row once: a copy of an event later in the batch goes in a later round.
		let pending = request.events.map((_, position) => position);
		let entries: number | undefined;
		while (pending.length > 0) {
			const seen = new Set<string>();
			const round = pending.filter((position) => {
				const { eventId } = request.events[position];
				if (seen.has(eventId)) return false;
				seen.add(eventId);
				return true;
			});
			const rows = await this.access.retryConflicts(
				async () => await this.keepRound(namespace, request, bodyHash, encoded, round, bounds),
			);
			for (const row of rows) {
				const position = round[Number(row.position) - 1];
				outcomes[position] = {
					eventId: row.event_id,
					firstReceipt: row.receipts === 1,
					entry: toEntry(namespace, row),
				};
				if (row.entries !== null) entries = Number(row.entries);
			}
			pending = pending.filter((position) => !round.includes(position));
		}
		if (entries !== undefined && entries > bounds.maxEntries) {
			await this.dropOldest(namespace, bounds.maxEntries);
		}
		return outcomes;
	}

	private async keepRound(
		namespace: string,
		request: KeepRequest,
		bodyHash: string,
		encoded: EncodedEvent[],
		round: number[],
		bounds: InboxBounds,
	): Promise<Array<EntryRow & { position: string; entries: string | null }>> {
		const { entries, bodies, counts } = this.tables;
		const events = round.map((position) => request.events[position]);
		const live = `cur.expires_at > $12::bigint`;
		const keepOrReplace = (column: string) =>
			`${column} = CASE WHEN ${live} THEN cur.${column} ELSE excluded.${column} END`;
		return await this.access.query(
			`WITH input AS (
				SELECT * FROM unnest($2::bytea[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
				WITH ORDINALITY AS input (event_hash, event_id, event_type, scheme, path, envelope, headers, position)
			), kept AS (
				INSERT INTO ${entries} AS cur (namespace, event_hash, ${ENTRY_COLUMNS})
				SELECT $1, event_hash, event_id, event_type, scheme, path, envelope, headers, $9,
					$10::bigint, $10::bigint, 1, $10::bigint + $11::bigint
				FROM input ORDER BY event_hash
				ON CONFLICT (namespace, event_hash) DO UPDATE SET
					${['event_type', 'scheme', 'path', 'envelope', 'headers', 'body_hash', 'received_at'].map(keepOrReplace).join(', ')},
					last_received_at = CASE WHEN ${live} THEN GREATEST(cur.last_received_at, excluded.last_received_at) ELSE excluded.last_received_at END,
					receipts = CASE WHEN ${live} THEN cur.receipts + 1 ELSE 1 END,
					expires_at = CASE WHEN ${live} THEN GREATEST(cur.expires_at, excluded.expires_at) ELSE excluded.expires_at END
				RETURNING event_hash, ${ENTRY_COLUMNS}, (xmax = 0) AS inserted
			), first_receipts AS (
				SELECT max(expires_at) AS expires_at FROM kept WHERE receipts = 1
			), stored_body AS (
				INSERT INTO ${bodies} AS cur (hash, body, expires_at)
				SELECT $9, $13::bytea, expires_at FROM first_receipts WHERE expires_at IS NOT NULL
				ON CONFLICT (hash) DO UPDATE SET expires_at = GREATEST(cur.expires_at, excluded.expires_at)
			), extended_bodies AS (
				UPDATE ${bodies} AS cur SET expires_at = GREATEST(cur.expires_at, repeats.expires_at)
				FROM (
					SELECT body_hash, max(expires_at) AS expires_at FROM kept WHERE receipts > 1
						AND NOT (body_hash = $9 AND EXISTS (SELECT 1 FROM first_receipts WHERE expires_at IS NOT NULL))
					GROUP BY body_hash
				) AS repeats
				WHERE cur.hash = repeats.body_hash
			), counted AS (
				INSERT INTO ${counts} AS cur (namespace, entries)
				SELECT $1, count(*) FROM kept WHERE inserted HAVING count(*) > 0
				ON CONFLICT (namespace) DO UPDATE SET entries = cur.entries + excluded.entries
				RETURNING entries
			)
			SELECT kept.*, input.position, (SELECT entries FROM counted) AS entries
			FROM kept JOIN input ON input.event_hash = kept.event_hash`,
			[
				namespace,
				events.map((event) => eventHash(event.eventId)),
				events.map((event) => event.eventId),
				events.map((event) => event.eventType),
				events.map((event) => event.scheme),
				events.map((event) => event.path),
				round.map((position) => encoded[position].envelope),
				round.map((position) => encoded[position].headers),
				bodyHash,
				request.receivedAt,
				Math.ceil(bounds.retentionMs),
				this.access.clock(),
				request.rawBody,
			],
		);
	}

	/**
	 * Past the bound: expired entries go first (uncounted), then the oldest live ones (counted).
	 * The namespace's count row is locked first, so concurrent keeps drop in turn, not twice.
	 */
	private async dropOldest(namespace: string, maxEntries: number): Promise<void> {
		const { entries, counts } = this.tables;
		const gone = await this.access.retryConflicts(
			async () =>
				await this.access.transaction(async (query) => {
					const now = this.access.clock();
					const [count] = await query<{ entries: string }>(
						`SELECT entries FROM ${counts} WHERE namespace = $1 FOR UPDATE`,
						[namespace],
					);
					const expired = await query<{ body_hash: string }>(
						`DELETE FROM ${entries} WHERE namespace = $1 AND expires_at <= $2 RETURNING body_hash`,
						[namespace, now],
					);
					const excess = Number(count.entries) - expired.length - maxEntries;
					const dropped =
						excess > 0
							? await query<{ body_hash: string }>(
									`DELETE FROM ${entries} WHERE namespace = $1 AND event_hash IN (
								SELECT event_hash FROM ${entries} WHERE namespace = $1
								ORDER BY received_at, event_id LIMIT $2)
							RETURNING body_hash`,
									[namespace, excess],
								)
							: [];
					await query(
						`UPDATE ${counts} SET entries = entries - $2, dropped = dropped + $3 WHERE namespace = $1`,
						[namespace, expired.length + dropped.length, dropped.length],
					);
					return [...expired, ...dropped].map((row) => row.body_hash);
				}),
		);
		await this.removeUnreferencedBodies(gone);
	}

	private async removeUnreferencedBodies(hashes: string[]): Promise<void> {
		if (hashes.length === 0) return;
		const { entries, bodies } = this.tables;
		await this.access.query(
			`DELETE FROM ${bodies} AS cur WHERE hash = ANY ($1::text[])
			AND NOT EXISTS (SELECT 1 FROM ${entries} WHERE body_hash = cur.hash)`,
			[[...new Set(hashes)]],
		);
	}

	async get(namespace: string, eventIds: string[]): Promise<Array<InboxEntryWithBody | undefined>> {
		validateGet(namespace, eventIds);
		if (eventIds.length === 0) return [];
		await this.access.prepare();
		const rows = await this.access.query<EntryRow & { body: Buffer | null }>(
			`SELECT ${ENTRY_COLUMNS.split(', ')
				.map((column) => `entry.${column}`)
				.join(', ')}, body.body
			FROM ${this.tables.entries} AS entry LEFT JOIN ${this.tables.bodies} AS body ON body.hash = entry.body_hash
			WHERE entry.namespace = $1 AND entry.event_hash = ANY ($2::bytea[]) AND entry.expires_at > $3`,
			[namespace, [...new Set(eventIds)].map(eventHash), this.access.clock()],
		);
		const found = new Map(rows.map((row) => [row.event_id, row]));
		return eventIds.map((eventId) => {
			const row = found.get(eventId);
			return row ? { ...toEntry(namespace, row), rawBody: row.body ?? undefined } : undefined;
		});
	}

	async list(namespace: string, query: InboxQuery): Promise<InboxPage> {
		validateInboxQuery(namespace, query);
		await this.access.prepare();
		const rows = await this.access.query<EntryRow>(
			`SELECT ${ENTRY_COLUMNS} FROM ${this.tables.entries}
			WHERE namespace = $1 AND expires_at > $2 AND ${filterSql(3)}
				AND ($6::bigint IS NULL OR (received_at, event_id) > ($6::bigint, $7::text))
			ORDER BY received_at, event_id LIMIT $8`,
			[
				namespace,
				this.access.clock(),
				...filterValues(query),
				query.after?.receivedAt ?? null,
				query.after?.eventId ?? null,
				query.limit + 1,
			],
		);
		const entries = rows.slice(0, query.limit).map((row) => toEntry(namespace, row));
		const last = entries.at(-1);
		return rows.length > query.limit && last
			? { entries, next: { receivedAt: last.receivedAt, eventId: last.eventId } }
			: { entries };
	}

	async purge(namespace: string, query: Omit<InboxQuery, 'limit' | 'after'>): Promise<number> {
		validateInboxFilter(namespace, query);
		await this.access.prepare();
		const now = this.access.clock();
		const removed = await this.access.query<{ body_hash: string; expires_at: string }>(
			`WITH gone AS (
				DELETE FROM ${this.tables.entries} WHERE namespace = $1 AND ${filterSql(2)}
				RETURNING body_hash, expires_at
			), counted AS (
				UPDATE ${this.tables.counts} SET entries = entries - (SELECT count(*) FROM gone)
				WHERE namespace = $1
			)
			SELECT body_hash, expires_at FROM gone`,
			[namespace, ...filterValues(query)],
		);
		await this.removeUnreferencedBodies(removed.map((row) => row.body_hash));
		return removed.filter((row) => Number(row.expires_at) > now).length;
	}

	async recordRejection(
		namespace: string,
		rejection: RejectedDelivery,
		bounds: InboxBounds,
	): Promise<void> {
		const headers = validateRejection(namespace, rejection, bounds);
		await this.access.prepare();
		const { rejected, counts } = this.tables;
		const [{ rejections }] = await this.access.query<{ rejections: string }>(
			`WITH added AS (
				INSERT INTO ${rejected} (namespace, at, path, scheme, reason, status, headers, body_prefix, source_ip, expires_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			)
			INSERT INTO ${counts} AS cur (namespace, rejections) VALUES ($1, 1)
			ON CONFLICT (namespace) DO UPDATE SET rejections = cur.rejections + 1
			RETURNING rejections`,
			[
				namespace,
				rejection.at,
				rejection.path,
				rejection.scheme,
				rejection.reason,
				rejection.status,
				headers,
				// bytea: a body's first bytes may hold NUL, which PostgreSQL text cannot.
				Buffer.from(rejection.bodyPrefix, 'utf8'),
				rejection.sourceIp,
				rejection.at + Math.ceil(bounds.retentionMs),
			],
		);
		const excess = Number(rejections) - bounds.maxEntries;
		if (excess <= 0) return;
		await this.access.query(
			`WITH gone AS (
				DELETE FROM ${rejected} WHERE id IN (
					SELECT id FROM ${rejected} WHERE namespace = $1 ORDER BY at, id LIMIT $2)
				RETURNING id
			)
			UPDATE ${counts} SET rejections = rejections - (SELECT count(*) FROM gone) WHERE namespace = $1`,
			[namespace, excess],
		);
	}

	async rejections(
		namespace: string,
		query: { from?: number; to?: number; limit: number },
	): Promise<RejectedDelivery[]> {
		validateRejectionsQuery(namespace, query);
		await this.access.prepare();
		const rows = await this.access.query<RejectionRow>(
			`SELECT at, path, scheme, reason, status, headers, body_prefix, source_ip FROM ${this.tables.rejected}
			WHERE namespace = $1 AND expires_at > $2 AND ($3::bigint IS NULL OR at >= $3)
				AND ($4::bigint IS NULL OR at < $4)
			ORDER BY at DESC, id DESC LIMIT $5`,
			[namespace, this.access.clock(), query.from ?? null, query.to ?? null, query.limit],
		);
		return rows.map((row) => ({
			path: row.path,
			scheme: row.scheme,
			reason: row.reason,
			status: row.status,
			at: Number(row.at),
			headers: JSON.parse(row.headers) as Record<string, string>,
			bodyPrefix: row.body_prefix.toString('utf8'),
			sourceIp: row.source_ip,
		}));
	}

	async tally(namespace: string, since: number): Promise<InboxTally> {
		validateTally(namespace, since);
		await this.access.prepare();
		const now = this.access.clock();
		const [[entries], reasons, [counts]] = await Promise.all([
			this.access.query<{ kept: string; repeats: string }>(
				`SELECT count(*) AS kept, coalesce(sum(receipts - 1), 0) AS repeats FROM ${this.tables.entries}
				WHERE namespace = $1 AND expires_at > $2 AND received_at >= $3`,
				[namespace, now, since],
			),
			this.access.query<{ reason: string; n: string }>(
				`SELECT reason, count(*) AS n FROM ${this.tables.rejected}
				WHERE namespace = $1 AND expires_at > $2 AND at >= $3 GROUP BY reason`,
				[namespace, now, since],
			),
			this.access.query<{ dropped: string }>(
				`SELECT dropped FROM ${this.tables.counts} WHERE namespace = $1`,
				[namespace],
			),
		]);
		return {
			kept: Number(entries.kept),
			repeats: Number(entries.repeats),
			rejected: Object.fromEntries(reasons.map((row) => [row.reason, Number(row.n)])),
			dropped: Number(counts?.dropped ?? 0),
		};
	}

	/** Expired entries (counts kept right), bodies and rejections; never waits for a writer. */
	async purgeExpired(now: number): Promise<void> {
		const { entries, bodies, rejected, counts } = this.tables;
		for (const [table, column] of [
			[entries, 'entries'],
			[rejected, 'rejections'],
		]) {
			await this.access.query(
				`WITH gone AS (
					DELETE FROM ${table} WHERE ctid = ANY (ARRAY(
						SELECT ctid FROM ${table} WHERE expires_at <= $1 LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED))
					RETURNING namespace
				)
				UPDATE ${counts} AS cur SET ${column} = cur.${column} - gone.n
				FROM (SELECT namespace, count(*) AS n FROM gone GROUP BY namespace) AS gone
				WHERE cur.namespace = gone.namespace`,
				[now],
			);
		}
		await this.access.query(
			`DELETE FROM ${bodies} WHERE ctid = ANY (ARRAY(
				SELECT ctid FROM ${bodies} WHERE expires_at <= $1 LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED))`,
			[now],
		);
	}
}

/** The window and event type filter, its parameters (from, to, type; NULL for unset) from `$first`. */
const filterSql = (first: number): string =>
	`($${first}::bigint IS NULL OR received_at >= $${first}) AND ($${first + 1}::bigint IS NULL OR received_at < $${first + 1})
	AND ($${first + 2}::text IS NULL OR event_type = $${first + 2})`;

const filterValues = (query: Omit<InboxQuery, 'limit' | 'after'>): unknown[] => [
	query.from ?? null,
	query.to ?? null,
	query.eventType ?? null,
];

function toEntry(namespace: string, row: EntryRow): InboxEntry {
	return {
		namespace,
		eventId: row.event_id,
		eventType: row.event_type,
		scheme: row.scheme,
		path: row.path,
		envelope: JSON.parse(row.envelope) as Record<string, unknown>,
		headers: JSON.parse(row.headers) as Record<string, string>,
		bodyHash: row.body_hash,
		receivedAt: Number(row.received_at),
		lastReceivedAt: Number(row.last_received_at),
		receipts: Number(row.receipts),
		expiresAt: Number(row.expires_at),
	};
}
