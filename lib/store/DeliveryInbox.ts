/**
 * The durable inbox: every verified webhook delivery the Signed Webhook Trigger acknowledges is
 * kept here *before* the 2xx goes out, so nothing acknowledged can be lost, and a person can look
 * at it, redrive it or purge it later. Every backend offers it as `store.inbox`, on the same
 * connection as its keys, in tables or key spaces of its own.
 *
 * The inbox holds facts about deliveries only. Whether an event is done, in progress, released or
 * dead-lettered lives in the event's key record (`IdempotencyStore`, same namespace, key = event
 * id): one state machine for every node. Queries that filter by state join the two in lib/inbox.
 *
 * Bounds: every entry expires `retentionMs` after its last receipt (default 7 days); past
 * `maxEntries` per namespace the oldest entries go first, and each such drop is counted. Raw bodies
 * are content-addressed (sha256) and stored once (on Redis once per namespace, so a namespace stays
 * in one cluster slot), removed when no entry refers to them any more. No secret or signature value
 * is ever stored: callers pass headers already redacted (and cut rejected bodies with
 * `rejectedBodyPrefix` from inboxRules.ts).
 */

/** One event of a verified delivery, as the trigger kept it. */
export interface InboxEntry {
	namespace: string;
	/** The event's id: also its claim key in the idempotency store (same namespace). */
	eventId: string;
	eventType: string | null;
	/** Signature scheme name (`stripe`, `github`, ...). */
	scheme: string;
	/** Webhook path the delivery came to (stats per path). */
	path: string;
	/** The item the trigger emitted for it, without the `idempotency` field: what a redrive emits again. */
	envelope: Record<string, unknown>;
	/** Request headers, redacted (signatures, tokens, cookies removed). */
	headers: Record<string, string>;
	/** sha256 (hex) of the exact raw bytes of the delivery that carried the event. */
	bodyHash: string;
	/** Epoch ms of the first receipt. */
	receivedAt: number;
	/** Epoch ms of the latest receipt (first or repeat). */
	lastReceivedAt: number;
	/** Receipts so far: 1 for the first, +1 per repeat delivery of the same event. */
	receipts: number;
	/** Epoch ms after which the entry is gone. */
	expiresAt: number;
}

/** What `keep` needs for one event: the raw bytes travel once per delivery, in `KeepRequest`. */
export type InboxEvent = Pick<
	InboxEntry,
	'eventId' | 'eventType' | 'scheme' | 'path' | 'envelope' | 'headers'
>;

export interface KeepRequest {
	/** The exact bytes received, stored once per distinct body (content-addressed by sha256). */
	rawBody: Buffer;
	/** The delivery's events (one, or each element of a batch). */
	events: InboxEvent[];
	receivedAt: number;
}

export interface InboxBounds {
	/** How long an entry (and its raw body) is kept after its last receipt. */
	retentionMs: number;
	/** Entries per namespace; past it the oldest (by receivedAt) are dropped and counted. */
	maxEntries: number;
}

export const DEFAULT_INBOX_RETENTION_MS = 7 * 86_400_000;
export const DEFAULT_INBOX_MAX_ENTRIES = 100_000;

export interface KeepOutcome {
	eventId: string;
	/** True when this call stored the event; false when it was already kept (receipts raised). */
	firstReceipt: boolean;
	entry: InboxEntry;
}

/** A stored entry with its delivery's raw bytes (undefined when they expired or were purged). */
export interface InboxEntryWithBody extends InboxEntry {
	rawBody: Buffer | undefined;
}

export interface InboxQuery {
	/** receivedAt >= from (epoch ms). */
	from?: number;
	/** receivedAt < to (epoch ms). */
	to?: number;
	eventType?: string;
	/** Entries per page, ordered by (receivedAt, eventId) ascending. */
	limit: number;
	/** Continue after this position (from the previous page's `next`). */
	after?: InboxPosition;
}

export interface InboxPosition {
	receivedAt: number;
	eventId: string;
}

export interface InboxPage {
	entries: InboxEntry[];
	/** Position to pass as `after` for the next page; absent on the last page. */
	next?: InboxPosition;
}

/** A delivery refused before it was kept, so "why does my provider get 401?" has an answer. */
export interface RejectedDelivery {
	path: string;
	scheme: string;
	reason: string;
	status: number;
	/** Epoch ms. */
	at: number;
	/** Redacted request headers. */
	headers: Record<string, string>;
	/** First 2 KB of the body as text (UTF-8, invalid bytes replaced). */
	bodyPrefix: string;
	sourceIp: string | null;
}

export const REJECTED_BODY_PREFIX_BYTES = 2048;

/** Counts for a namespace's stats item, over entries received since `since`. */
export interface InboxTally {
	/** Entries kept (first receipts). */
	kept: number;
	/** Repeat receipts (receipts - 1, summed). */
	repeats: number;
	/** Rejections by reason. */
	rejected: Record<string, number>;
	/** Entries dropped by `maxEntries` before they expired, since the namespace was created. */
	dropped: number;
}

export interface DeliveryInbox {
	/**
	 * Keeps each event of a delivery unless it is already kept (then raises its receipts and
	 * lastReceivedAt, and keeps the envelope and bytes of the delivery that first carried it).
	 * Atomic per event: of concurrent keeps of one event, exactly one is its first receipt. Answers
	 * one outcome per event, in order; a copy of an event later in the same delivery is a repeat.
	 */
	keep(namespace: string, request: KeepRequest, bounds: InboxBounds): Promise<KeepOutcome[]>;
	/** The entries with their raw bytes, undefined for ids not kept (or expired). */
	get(namespace: string, eventIds: string[]): Promise<Array<InboxEntryWithBody | undefined>>;
	list(namespace: string, query: InboxQuery): Promise<InboxPage>;
	/** Deletes the entries the query matches (all pages, `limit` ignored); answers how many. */
	purge(namespace: string, query: Omit<InboxQuery, 'limit' | 'after'>): Promise<number>;
	/** Logs a refused delivery; the log keeps `maxEntries` newest per namespace for `retentionMs`. */
	recordRejection(
		namespace: string,
		rejection: RejectedDelivery,
		bounds: InboxBounds,
	): Promise<void>;
	/** Newest first. */
	rejections(
		namespace: string,
		query: { from?: number; to?: number; limit: number },
	): Promise<RejectedDelivery[]>;
	tally(namespace: string, since: number): Promise<InboxTally>;
}
