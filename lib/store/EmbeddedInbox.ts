import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';

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
import {
	decideKeep,
	validateGet,
	validateInboxFilter,
	validateInboxQuery,
	validateKeep,
	validateRejection,
	validateRejectionsQuery,
	validateTally,
} from './inboxRules';

/**
 * The inbox's tables in the embedded store's file. Bodies are shared by every entry (in any
 * namespace) whose delivery had the same bytes, and live as long as the longest-lived of them.
 * `inbox_namespaces` counts entries and rejections per namespace, so bounds are checked without
 * counting rows.
 */
export const INBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS inbox_entries (
	namespace TEXT NOT NULL,
	event_id TEXT NOT NULL,
	event_type TEXT,
	scheme TEXT NOT NULL,
	path TEXT NOT NULL,
	envelope TEXT NOT NULL,
	headers TEXT NOT NULL,
	body_hash TEXT NOT NULL,
	received_at INTEGER NOT NULL,
	last_received_at INTEGER NOT NULL,
	receipts INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (namespace, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS inbox_entries_by_time ON inbox_entries (namespace, received_at, event_id);
CREATE INDEX IF NOT EXISTS inbox_entries_by_expiry ON inbox_entries (expires_at);
CREATE INDEX IF NOT EXISTS inbox_entries_by_body ON inbox_entries (body_hash);
CREATE TABLE IF NOT EXISTS inbox_bodies (hash TEXT PRIMARY KEY, body BLOB NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS inbox_bodies_by_expiry ON inbox_bodies (expires_at);
CREATE TABLE IF NOT EXISTS inbox_namespaces (
	namespace TEXT PRIMARY KEY,
	entries INTEGER NOT NULL DEFAULT 0,
	dropped INTEGER NOT NULL DEFAULT 0,
	rejections INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox_rejections (
	id INTEGER PRIMARY KEY,
	namespace TEXT NOT NULL,
	at INTEGER NOT NULL,
	path TEXT NOT NULL,
	scheme TEXT NOT NULL,
	reason TEXT NOT NULL,
	status INTEGER NOT NULL,
	headers TEXT NOT NULL,
	body_prefix TEXT NOT NULL,
	source_ip TEXT,
	expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_rejections_by_time ON inbox_rejections (namespace, at);
CREATE INDEX IF NOT EXISTS inbox_rejections_by_expiry ON inbox_rejections (expires_at);
`;

const PURGE_INTERVAL_MS = 60_000;
const PURGE_BATCH = 10_000;
const ENTRY_COLUMNS =
	'event_id, event_type, scheme, path, envelope, headers, body_hash, received_at, last_received_at, receipts, expires_at';
/** A window and event type filter; unset bounds are NULL. Parameters: from, from, to, to, type, type. */
const FILTER = `(? IS NULL OR received_at >= ?) AND (? IS NULL OR received_at < ?)
	AND (? IS NULL OR event_type = ?)`;

interface EntryRow {
	event_id: string;
	event_type: string | null;
	scheme: string;
	path: string;
	envelope: string;
	headers: string;
	body_hash: string;
	received_at: number;
	last_received_at: number;
	receipts: number;
	expires_at: number;
}

interface RejectionRow {
	at: number;
	path: string;
	scheme: string;
	reason: string;
	status: number;
	headers: string;
	body_prefix: string;
	source_ip: string | null;
}

/** How the inbox runs work on the store's connection: inside its write transaction, or a read. */
export interface EmbeddedAccess {
	write<T>(operation: string, work: (now: number) => T): T;
	read<T>(operation: string, work: (now: number) => T): T;
}

const filterValues = (query: Omit<InboxQuery, 'limit' | 'after'>): SQLInputValue[] => [
	query.from ?? null,
	query.from ?? null,
	query.to ?? null,
	query.to ?? null,
	query.eventType ?? null,
	query.eventType ?? null,
];

/** `store.inbox` of the embedded store: every keep is one transaction of the store's file. */
export class EmbeddedInbox implements DeliveryInbox {
	private readonly statements: Record<string, StatementSync>;
	private nextPurgeAt = 0;

	constructor(
		db: DatabaseSync,
		private readonly access: EmbeddedAccess,
	) {
		const prepare = (sql: string) => db.prepare(sql);
		this.statements = {
			selectEntry: prepare(
				`SELECT ${ENTRY_COLUMNS} FROM inbox_entries WHERE namespace = ? AND event_id = ?`,
			),
			upsertEntry: prepare(
				`INSERT INTO inbox_entries (namespace, ${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (namespace, event_id) DO UPDATE SET event_type = excluded.event_type,
					scheme = excluded.scheme, path = excluded.path, envelope = excluded.envelope,
					headers = excluded.headers, body_hash = excluded.body_hash, received_at = excluded.received_at,
					last_received_at = excluded.last_received_at, receipts = excluded.receipts,
					expires_at = excluded.expires_at`,
			),
			upsertBody: prepare(
				`INSERT INTO inbox_bodies (hash, body, expires_at) VALUES (?, ?, ?)
				ON CONFLICT (hash) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
			),
			extendBody: prepare('UPDATE inbox_bodies SET expires_at = max(expires_at, ?) WHERE hash = ?'),
			selectBody: prepare('SELECT body FROM inbox_bodies WHERE hash = ?'),
			removeUnreferencedBody: prepare(
				'DELETE FROM inbox_bodies WHERE hash = ? AND NOT EXISTS (SELECT 1 FROM inbox_entries WHERE body_hash = ?)',
			),
			addEntries: prepare(
				`INSERT INTO inbox_namespaces (namespace, entries) VALUES (?, ?)
				ON CONFLICT (namespace) DO UPDATE SET entries = entries + excluded.entries RETURNING entries`,
			),
			addRejections: prepare(
				`INSERT INTO inbox_namespaces (namespace, rejections) VALUES (?, ?)
				ON CONFLICT (namespace) DO UPDATE SET rejections = rejections + excluded.rejections RETURNING rejections`,
			),
			addDropped: prepare('UPDATE inbox_namespaces SET dropped = dropped + ? WHERE namespace = ?'),
			readDropped: prepare('SELECT dropped FROM inbox_namespaces WHERE namespace = ?'),
			removeExpiredOf: prepare(
				'DELETE FROM inbox_entries WHERE namespace = ? AND expires_at <= ? RETURNING body_hash',
			),
			dropOldest: prepare(
				`DELETE FROM inbox_entries WHERE (namespace, event_id) IN (
					SELECT namespace, event_id FROM inbox_entries WHERE namespace = ?
					ORDER BY received_at, event_id LIMIT ?)
				RETURNING body_hash`,
			),
			purgeExpired: prepare(
				`DELETE FROM inbox_entries WHERE (namespace, event_id) IN (
					SELECT namespace, event_id FROM inbox_entries WHERE expires_at <= ? LIMIT ?)
				RETURNING namespace`,
			),
			purgeExpiredBodies: prepare(
				'DELETE FROM inbox_bodies WHERE rowid IN (SELECT rowid FROM inbox_bodies WHERE expires_at <= ? LIMIT ?)',
			),
			purgeExpiredRejections: prepare(
				`DELETE FROM inbox_rejections WHERE id IN (SELECT id FROM inbox_rejections WHERE expires_at <= ? LIMIT ?)
				RETURNING namespace`,
			),
			list: prepare(
				`SELECT ${ENTRY_COLUMNS} FROM inbox_entries
				WHERE namespace = ? AND expires_at > ? AND (received_at, event_id) > (?, ?) AND ${FILTER}
				ORDER BY received_at, event_id LIMIT ?`,
			),
			purge: prepare(
				`DELETE FROM inbox_entries WHERE namespace = ? AND ${FILTER}
				RETURNING body_hash, expires_at`,
			),
			insertRejection: prepare(
				`INSERT INTO inbox_rejections (namespace, at, path, scheme, reason, status, headers, body_prefix, source_ip, expires_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			),
			dropOldestRejections: prepare(
				`DELETE FROM inbox_rejections WHERE id IN (
					SELECT id FROM inbox_rejections WHERE namespace = ? ORDER BY at, id LIMIT ?)`,
			),
			rejections: prepare(
				`SELECT at, path, scheme, reason, status, headers, body_prefix, source_ip FROM inbox_rejections
				WHERE namespace = ? AND expires_at > ? AND (? IS NULL OR at >= ?) AND (? IS NULL OR at < ?)
				ORDER BY at DESC, id DESC LIMIT ?`,
			),
			tallyEntries: prepare(
				`SELECT count(*) AS kept, coalesce(sum(receipts - 1), 0) AS repeats FROM inbox_entries
				WHERE namespace = ? AND expires_at > ? AND received_at >= ?`,
			),
			tallyRejections: prepare(
				`SELECT reason, count(*) AS n FROM inbox_rejections
				WHERE namespace = ? AND expires_at > ? AND at >= ? GROUP BY reason`,
			),
		};
	}

	async keep(namespace: string, request: KeepRequest, bounds: InboxBounds): Promise<KeepOutcome[]> {
		const { bodyHash, encoded } = validateKeep(namespace, request, bounds);
		if (request.events.length === 0) return [];
		return this.access.write('keep deliveries', (now) => {
			let added = 0;
			let bodyExpiresAt: number | undefined;
			const outcomes = request.events.map((event, position) => {
				const row = this.statements.selectEntry.get(namespace, event.eventId) as
					| EntryRow
					| undefined;
				const found = row && row.expires_at > now ? toEntry(namespace, row) : undefined;
				const { firstReceipt, entry } = decideKeep(
					namespace,
					found,
					event,
					bodyHash,
					request.receivedAt,
					bounds.retentionMs,
				);
				if (!row) added += 1;
				this.writeEntry(entry, firstReceipt ? encoded[position] : row!);
				if (firstReceipt) {
					bodyExpiresAt = Math.max(bodyExpiresAt ?? 0, entry.expiresAt);
				} else {
					this.statements.extendBody.run(entry.expiresAt, entry.bodyHash);
				}
				return { eventId: event.eventId, firstReceipt, entry };
			});
			if (bodyExpiresAt !== undefined) {
				this.statements.upsertBody.run(bodyHash, request.rawBody, bodyExpiresAt);
			}
			this.keepWithinBound(namespace, added, bounds.maxEntries, now);
			this.purgeExpired(now);
			return outcomes;
		});
	}

	async get(namespace: string, eventIds: string[]): Promise<Array<InboxEntryWithBody | undefined>> {
		validateGet(namespace, eventIds);
		return this.access.read('read deliveries', (now) =>
			eventIds.map((eventId) => {
				const row = this.statements.selectEntry.get(namespace, eventId) as EntryRow | undefined;
				if (!row || row.expires_at <= now) return undefined;
				const body = this.statements.selectBody.get(row.body_hash) as
					| { body: Uint8Array }
					| undefined;
				return {
					...toEntry(namespace, row),
					rawBody: body ? Buffer.from(body.body) : undefined,
				};
			}),
		);
	}

	async list(namespace: string, query: InboxQuery): Promise<InboxPage> {
		validateInboxQuery(namespace, query);
		return this.access.read('list deliveries', (now) => {
			const rows = this.statements.list.all(
				namespace,
				now,
				query.after?.receivedAt ?? Number.MIN_SAFE_INTEGER,
				query.after?.eventId ?? '',
				...filterValues(query),
				query.limit + 1,
			) as unknown as EntryRow[];
			const entries = rows.slice(0, query.limit).map((row) => toEntry(namespace, row));
			const last = entries.at(-1);
			return rows.length > query.limit && last
				? { entries, next: { receivedAt: last.receivedAt, eventId: last.eventId } }
				: { entries };
		});
	}

	async purge(namespace: string, query: Omit<InboxQuery, 'limit' | 'after'>): Promise<number> {
		validateInboxFilter(namespace, query);
		return this.access.write('purge deliveries', (now) => {
			const removed = this.statements.purge.all(namespace, ...filterValues(query)) as Array<{
				body_hash: string;
				expires_at: number;
			}>;
			this.statements.addEntries.get(namespace, -removed.length);
			this.removeUnreferencedBodies(removed.map((row) => row.body_hash));
			return removed.filter((row) => row.expires_at > now).length;
		});
	}

	async recordRejection(
		namespace: string,
		rejection: RejectedDelivery,
		bounds: InboxBounds,
	): Promise<void> {
		const headers = validateRejection(namespace, rejection, bounds);
		this.access.write('record a rejection', (now) => {
			this.statements.insertRejection.run(
				namespace,
				rejection.at,
				rejection.path,
				rejection.scheme,
				rejection.reason,
				rejection.status,
				headers,
				rejection.bodyPrefix,
				rejection.sourceIp,
				rejection.at + Math.ceil(bounds.retentionMs),
			);
			const { rejections } = this.statements.addRejections.get(namespace, 1) as {
				rejections: number;
			};
			if (rejections > bounds.maxEntries) {
				const excess = rejections - bounds.maxEntries;
				this.statements.dropOldestRejections.run(namespace, excess);
				this.statements.addRejections.get(namespace, -excess);
			}
			this.purgeExpired(now);
		});
	}

	async rejections(
		namespace: string,
		query: { from?: number; to?: number; limit: number },
	): Promise<RejectedDelivery[]> {
		validateRejectionsQuery(namespace, query);
		return this.access.read('list rejections', (now) =>
			(
				this.statements.rejections.all(
					namespace,
					now,
					query.from ?? null,
					query.from ?? null,
					query.to ?? null,
					query.to ?? null,
					query.limit,
				) as unknown as RejectionRow[]
			).map(toRejection),
		);
	}

	async tally(namespace: string, since: number): Promise<InboxTally> {
		validateTally(namespace, since);
		return this.access.read('tally deliveries', (now) => {
			const entries = this.statements.tallyEntries.get(namespace, now, since) as {
				kept: number;
				repeats: number;
			};
			const reasons = this.statements.tallyRejections.all(namespace, now, since) as Array<{
				reason: string;
				n: number;
			}>;
			const dropped = this.statements.readDropped.get(namespace) as { dropped: number } | undefined;
			return {
				kept: entries.kept,
				repeats: entries.repeats,
				rejected: Object.fromEntries(reasons.map((row) => [row.reason, row.n])),
				dropped: dropped?.dropped ?? 0,
			};
		});
	}

	/** A first receipt writes the event as encoded; a repeat writes back the stored texts. */
	private writeEntry(entry: InboxEntry, texts: { envelope: string; headers: string }): void {
		this.statements.upsertEntry.run(
			entry.namespace,
			entry.eventId,
			entry.eventType,
			entry.scheme,
			entry.path,
			texts.envelope,
			texts.headers,
			entry.bodyHash,
			entry.receivedAt,
			entry.lastReceivedAt,
			entry.receipts,
			entry.expiresAt,
		);
	}

	/** Past the bound, expired entries go first (uncounted), then the oldest live ones (counted). */
	private keepWithinBound(namespace: string, added: number, maxEntries: number, now: number): void {
		const { entries } = this.statements.addEntries.get(namespace, added) as { entries: number };
		if (entries <= maxEntries) return;
		const expired = this.statements.removeExpiredOf.all(namespace, now) as Array<{
			body_hash: string;
		}>;
		const excess = entries - expired.length - maxEntries;
		const dropped =
			excess > 0
				? (this.statements.dropOldest.all(namespace, excess) as Array<{ body_hash: string }>)
				: [];
		this.statements.addEntries.get(namespace, -(expired.length + dropped.length));
		if (dropped.length > 0) this.statements.addDropped.run(dropped.length, namespace);
		this.removeUnreferencedBodies([...expired, ...dropped].map((row) => row.body_hash));
	}

	private removeUnreferencedBodies(hashes: string[]): void {
		for (const hash of new Set(hashes)) this.statements.removeUnreferencedBody.run(hash, hash);
	}

	/** Now and then, inside a write: expired entries (counts kept right), bodies and rejections. */
	private purgeExpired(now: number): void {
		if (now < this.nextPurgeAt) return;
		this.nextPurgeAt = now + PURGE_INTERVAL_MS;
		this.uncount(this.statements.addEntries, this.statements.purgeExpired.all(now, PURGE_BATCH));
		this.statements.purgeExpiredBodies.run(now, PURGE_BATCH);
		this.uncount(
			this.statements.addRejections,
			this.statements.purgeExpiredRejections.all(now, PURGE_BATCH),
		);
	}

	/** Lowers a per-namespace count by the rows removed, given as their namespaces. */
	private uncount(add: StatementSync, removed: unknown[]): void {
		const perNamespace = new Map<string, number>();
		for (const { namespace } of removed as Array<{ namespace: string }>) {
			perNamespace.set(namespace, (perNamespace.get(namespace) ?? 0) + 1);
		}
		for (const [namespace, count] of perNamespace) add.get(namespace, -count);
	}
}

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
		receivedAt: row.received_at,
		lastReceivedAt: row.last_received_at,
		receipts: row.receipts,
		expiresAt: row.expires_at,
	};
}

function toRejection(row: RejectionRow): RejectedDelivery {
	return {
		path: row.path,
		scheme: row.scheme,
		reason: row.reason,
		status: row.status,
		at: row.at,
		headers: JSON.parse(row.headers) as Record<string, string>,
		bodyPrefix: row.body_prefix,
		sourceIp: row.source_ip,
	};
}
