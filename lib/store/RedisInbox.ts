import type Redis from 'ioredis';

import type {
	DeliveryInbox,
	InboxBounds,
	InboxEntry,
	InboxEntryWithBody,
	InboxPage,
	InboxPosition,
	InboxQuery,
	InboxTally,
	KeepOutcome,
	KeepRequest,
	RejectedDelivery,
} from './DeliveryInbox';
import type { Clock } from './IdempotencyStore';
import {
	validateGet,
	validateInboxFilter,
	validateInboxQuery,
	validateKeep,
	validateRejection,
	validateRejectionsQuery,
	validateTally,
} from './inboxRules';
import { type Script, type ScriptArgument, script } from './redisScript';
import { byUtf8 } from './validation';

/**
 * Key space of one namespace, under `<base>` = `<prefix>i<length>:{<namespace>}:` (the braces keep
 * a namespace in one Redis Cluster slot, so its scripts touch one node):
 *   `idx`       sorted set of event ids by receivedAt (ties by id, byte order): lists and the bound
 *   `e:<id>`    hash of one entry, with the native TTL of its expiry
 *   `b:<sha>`   raw body, stored once per namespace, living as long as its longest-lived entry
 *   `r:<sha>`   set of the event ids whose entries use that body, so a purge can drop it
 *   `rej`       sorted set of rejections by time (member: sequence number + JSON)
 *   `n`         hash of counters (dropped entries, rejection sequence)
 * Scripts build the entry and body keys of a namespace from `<base>`: they always stay in its slot.
 */
const INBOX_PRELUDE = `
local FIELDS = {'eventType', 'scheme', 'path', 'envelope', 'headers', 'bodyHash', 'receivedAt', 'lastReceivedAt', 'receipts', 'expiresAt'}
local now = tonumber(ARGV[1])
local base = ARGV[2]
local function loadEntry(key)
	local values = redis.call('HMGET', key, unpack(FIELDS))
	if values[6] and tonumber(values[10]) > now then return values end
	return false
end
local function extend(key, expiresAt)
	local wanted = expiresAt - now
	local ttl = redis.call('PTTL', key)
	if ttl == -1 or (ttl >= 0 and ttl < wanted) then redis.call('PEXPIRE', key, wanted) end
end
local function removeEntry(eventId)
	local key = base .. 'e:' .. eventId
	local values = redis.call('HMGET', key, 'bodyHash', 'expiresAt')
	redis.call('ZREM', base .. 'idx', eventId)
	if not values[1] then return 0 end
	redis.call('DEL', key)
	local refs = base .. 'r:' .. values[1]
	redis.call('SREM', refs, eventId)
	if redis.call('SCARD', refs) == 0 then redis.call('DEL', base .. 'b:' .. values[1]) end
	if tonumber(values[2]) > now then return 1 end
	return 0
end
`;

/**
 * KEYS: idx, counters, body, body refs, then one entry key per event. ARGV: now, base, receivedAt,
 * retentionMs, maxEntries, bodyHash, rawBody, then per event its id, type ('' for none), scheme,
 * path, envelope and headers. Answers per event {1 first receipt / 0 repeat, ...FIELDS}.
 */
const KEEP_SCRIPT = `${INBOX_PRELUDE}
local receivedAt = tonumber(ARGV[3])
local retentionMs = tonumber(ARGV[4])
local maxEntries = tonumber(ARGV[5])
local idx, counters, bodyKey, refsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local answers = {}
local bodyExpiresAt = false
for index = 5, #KEYS do
	local key = KEYS[index]
	local at = 8 + (index - 5) * 6
	local eventId = ARGV[at]
	local found = loadEntry(key)
	local first = 0
	if found then
		found[8] = math.max(tonumber(found[8]), receivedAt)
		found[9] = tonumber(found[9]) + 1
		found[10] = math.max(tonumber(found[10]), receivedAt + retentionMs)
		redis.call('HSET', key, 'lastReceivedAt', found[8], 'receipts', found[9], 'expiresAt', found[10])
		redis.call('PEXPIRE', key, found[10] - now)
		extend(base .. 'b:' .. found[6], found[10])
		extend(base .. 'r:' .. found[6], found[10])
	else
		removeEntry(eventId)
		first = 1
		local eventType = ARGV[at + 1]
		found = {eventType ~= '' and eventType or false, ARGV[at + 2], ARGV[at + 3], ARGV[at + 4], ARGV[at + 5], ARGV[6], receivedAt, receivedAt, 1, receivedAt + retentionMs}
		local fieldValues = {}
		for position, field in ipairs(FIELDS) do
			if found[position] then
				fieldValues[#fieldValues + 1] = field
				fieldValues[#fieldValues + 1] = found[position]
			end
		end
		redis.call('HSET', key, unpack(fieldValues))
		redis.call('PEXPIRE', key, found[10] - now)
		redis.call('ZADD', idx, receivedAt, eventId)
		redis.call('SADD', refsKey, eventId)
		bodyExpiresAt = math.max(bodyExpiresAt or 0, found[10])
	end
	answers[index - 4] = {first, unpack(found)}
end
if bodyExpiresAt then
	if redis.call('EXISTS', bodyKey) == 0 then redis.call('SET', bodyKey, ARGV[7]) end
	extend(bodyKey, bodyExpiresAt)
	extend(refsKey, bodyExpiresAt)
	extend(idx, receivedAt + retentionMs)
end
for _, eventId in ipairs(redis.call('ZRANGE', idx, 0, 9)) do
	if not loadEntry(base .. 'e:' .. eventId) then removeEntry(eventId) end
end
local excess = redis.call('ZCARD', idx) - maxEntries
if excess > 0 then
	local dropped = 0
	for _, eventId in ipairs(redis.call('ZRANGE', idx, 0, excess - 1)) do
		dropped = dropped + removeEntry(eventId)
	end
	if dropped > 0 then redis.call('HINCRBY', counters, 'dropped', dropped) end
end
return answers
`;

/** KEYS: entry keys. ARGV: now, base, withBody (1 or 0). Answers {...FIELDS, body} or nil per key. */
const LOAD_SCRIPT = `${INBOX_PRELUDE}
local answers = {}
for index, key in ipairs(KEYS) do
	local found = loadEntry(key)
	if found and ARGV[3] == '1' then
		found[11] = redis.call('GET', base .. 'b:' .. found[6])
	end
	answers[index] = found
end
return answers
`;

/** ARGV: now, base, event type ('' for any), then event ids. Answers how many live ones went. */
const PURGE_SCRIPT = `${INBOX_PRELUDE}
local removed = 0
for index = 4, #ARGV do
	local eventId = ARGV[index]
	local key = base .. 'e:' .. eventId
	if ARGV[3] == '' or redis.call('HGET', key, 'eventType') == ARGV[3] then
		removed = removed + removeEntry(eventId)
	end
end
return removed
`;

/**
 * KEYS: rejections, counters. ARGV: now, base, at, expiresAt, retentionMs, maxEntries, JSON. The
 * sequence number keeps members apart and orders rejections of the same millisecond.
 */
const REJECTION_SCRIPT = `${INBOX_PRELUDE}
local rejections, counters = KEYS[1], KEYS[2]
local sequence = redis.call('HINCRBY', counters, 'rejectionSeq', 1)
redis.call('ZADD', rejections, tonumber(ARGV[3]), string.format('%016d', sequence) .. ARGV[7])
redis.call('ZREMRANGEBYSCORE', rejections, '-inf', now - tonumber(ARGV[5]))
local excess = redis.call('ZCARD', rejections) - tonumber(ARGV[6])
if excess > 0 then redis.call('ZREMRANGEBYRANK', rejections, 0, excess - 1) end
extend(rejections, tonumber(ARGV[4]))
return 1
`;

const SCRIPTS = {
	keep: script(KEEP_SCRIPT),
	load: script(LOAD_SCRIPT),
	purge: script(PURGE_SCRIPT),
	rejection: script(REJECTION_SCRIPT),
};

/** Event ids read from the index per round trip. */
const CHUNK = 500;
const SEQUENCE_DIGITS = 16;

type EntryReply = [
	string | null,
	string,
	string,
	string,
	string,
	string,
	number | string,
	number | string,
	number | string,
	number | string,
	Buffer?,
];

/** What the inbox needs of its store: time, its connection, and where a namespace's keys live. */
export interface RedisAccess {
	clock: Clock;
	/** `<prefix>i<length>:{<namespace>}:` */
	base(namespace: string): string;
	/** Runs a script, connected, failures as StoreError. */
	evaluate<T>(
		target: Script,
		keys: string[],
		args: ScriptArgument[],
		buffers?: boolean,
	): Promise<T>;
	/** Runs plain commands, connected, failures as StoreError. */
	command<T>(work: (client: Redis) => Promise<T>): Promise<T>;
}

interface StoredRejection extends RejectedDelivery {
	expiresAt: number;
}

/** `store.inbox` of the Redis store: every keep is one script call, atomic on the server. */
export class RedisInbox implements DeliveryInbox {
	constructor(private readonly access: RedisAccess) {}

	async keep(namespace: string, request: KeepRequest, bounds: InboxBounds): Promise<KeepOutcome[]> {
		const { bodyHash, encoded } = validateKeep(namespace, request, bounds);
		if (request.events.length === 0) return [];
		const base = this.access.base(namespace);
		const replies = await this.access.evaluate<Array<[number, ...EntryReply]>>(
			SCRIPTS.keep,
			[
				`${base}idx`,
				`${base}n`,
				`${base}b:${bodyHash}`,
				`${base}r:${bodyHash}`,
				...request.events.map((event) => `${base}e:${event.eventId}`),
			],
			[
				this.access.clock(),
				base,
				request.receivedAt,
				Math.ceil(bounds.retentionMs),
				bounds.maxEntries,
				bodyHash,
				request.rawBody,
				...request.events.flatMap((event, position) => [
					event.eventId,
					event.eventType ?? '',
					event.scheme,
					event.path,
					encoded[position].envelope,
					encoded[position].headers,
				]),
			],
		);
		return replies.map(([first, ...fields], position) => ({
			eventId: request.events[position].eventId,
			firstReceipt: first === 1,
			entry: toEntry(namespace, request.events[position].eventId, fields),
		}));
	}

	async get(namespace: string, eventIds: string[]): Promise<Array<InboxEntryWithBody | undefined>> {
		validateGet(namespace, eventIds);
		const replies = await this.load(namespace, eventIds, true);
		return replies.map((reply, position) => {
			if (!reply) return undefined;
			const fields = reply.map((value) =>
				Buffer.isBuffer(value) ? value.toString('utf8') : value,
			) as EntryReply;
			return {
				...toEntry(namespace, eventIds[position], fields),
				rawBody: reply[10] ?? undefined,
			};
		});
	}

	async list(namespace: string, query: InboxQuery): Promise<InboxPage> {
		validateInboxQuery(namespace, query);
		const entries: InboxEntry[] = [];
		for await (const eventIds of this.indexed(namespace, query, query.after)) {
			const replies = await this.load(namespace, eventIds, false);
			replies.forEach((reply, position) => {
				if (!reply) return;
				const entry = toEntry(namespace, eventIds[position], reply);
				if (query.eventType === undefined || entry.eventType === query.eventType)
					entries.push(entry);
			});
			if (entries.length > query.limit) break;
		}
		const page = entries.slice(0, query.limit);
		const last = page.at(-1);
		return entries.length > query.limit && last
			? { entries: page, next: { receivedAt: last.receivedAt, eventId: last.eventId } }
			: { entries: page };
	}

	async purge(namespace: string, query: Omit<InboxQuery, 'limit' | 'after'>): Promise<number> {
		validateInboxFilter(namespace, query);
		// Collected first: removing while reading the index would shift its offsets.
		const eventIds: string[] = [];
		for await (const chunk of this.indexed(namespace, query)) eventIds.push(...chunk);
		const base = this.access.base(namespace);
		let removed = 0;
		for (let start = 0; start < eventIds.length; start += CHUNK) {
			removed += await this.access.evaluate<number>(
				SCRIPTS.purge,
				[],
				[this.access.clock(), base, query.eventType ?? '', ...eventIds.slice(start, start + CHUNK)],
			);
		}
		return removed;
	}

	async recordRejection(
		namespace: string,
		rejection: RejectedDelivery,
		bounds: InboxBounds,
	): Promise<void> {
		validateRejection(namespace, rejection, bounds);
		const base = this.access.base(namespace);
		const expiresAt = rejection.at + Math.ceil(bounds.retentionMs);
		const stored: StoredRejection = { ...pickRejection(rejection), expiresAt };
		await this.access.evaluate(
			SCRIPTS.rejection,
			[`${base}rej`, `${base}n`],
			[
				this.access.clock(),
				base,
				rejection.at,
				expiresAt,
				Math.ceil(bounds.retentionMs),
				bounds.maxEntries,
				JSON.stringify(stored),
			],
		);
	}

	async rejections(
		namespace: string,
		query: { from?: number; to?: number; limit: number },
	): Promise<RejectedDelivery[]> {
		validateRejectionsQuery(namespace, query);
		const key = `${this.access.base(namespace)}rej`;
		// Newest first: entries not yet trimmed after they expired are the oldest, at the end.
		const members = await this.access.command(
			async (client) =>
				await client.zrevrangebyscore(
					key,
					query.to === undefined ? '+inf' : `(${query.to}`,
					query.from ?? '-inf',
					'LIMIT',
					0,
					query.limit,
				),
		);
		return this.liveRejections(members).map(pickRejection);
	}

	async tally(namespace: string, since: number): Promise<InboxTally> {
		validateTally(namespace, since);
		const base = this.access.base(namespace);
		let kept = 0;
		let repeats = 0;
		for await (const eventIds of this.indexed(namespace, { from: since })) {
			for (const reply of await this.load(namespace, eventIds, false)) {
				if (!reply || Number(reply[6]) < since) continue;
				kept += 1;
				repeats += Number(reply[8]) - 1;
			}
		}
		const [members, dropped] = await this.access.command(
			async (client) =>
				await Promise.all([
					client.zrangebyscore(`${base}rej`, since, '+inf'),
					client.hget(`${base}n`, 'dropped'),
				]),
		);
		const rejected: Record<string, number> = {};
		for (const { reason } of this.liveRejections(members)) {
			rejected[reason] = (rejected[reason] ?? 0) + 1;
		}
		return { kept, repeats, rejected, dropped: Number(dropped ?? 0) };
	}

	private liveRejections(members: string[]): StoredRejection[] {
		const now = this.access.clock();
		return members
			.map((member) => JSON.parse(member.slice(SEQUENCE_DIGITS)) as StoredRejection)
			.filter((rejection) => rejection.expiresAt > now);
	}

	private async load(
		namespace: string,
		eventIds: string[],
		withBody: true,
	): Promise<Array<Array<Buffer | null> | null>>;
	private async load(
		namespace: string,
		eventIds: string[],
		withBody: false,
	): Promise<Array<EntryReply | null>>;
	private async load(namespace: string, eventIds: string[], withBody: boolean): Promise<unknown[]> {
		if (eventIds.length === 0) return [];
		const base = this.access.base(namespace);
		return await this.access.evaluate<unknown[]>(
			SCRIPTS.load,
			eventIds.map((eventId) => `${base}e:${eventId}`),
			[this.access.clock(), base, withBody ? 1 : 0],
			withBody,
		);
	}

	/**
	 * Event ids from the index in (receivedAt, id) order, inside [from, to), after a position:
	 * ids received in the position's millisecond come first, compared by bytes like Redis does.
	 */
	private async *indexed(
		namespace: string,
		window: { from?: number; to?: number },
		after?: InboxPosition,
	): AsyncGenerator<string[]> {
		const key = `${this.access.base(namespace)}idx`;
		const max = window.to === undefined ? '+inf' : `(${window.to}`;
		let min: string | number = window.from ?? '-inf';
		if (after && (window.from === undefined || after.receivedAt >= window.from)) {
			const ties = await this.access.command(
				async (client) => await client.zrangebyscore(key, after.receivedAt, after.receivedAt),
			);
			yield ties.filter((eventId) => byUtf8(eventId, after.eventId) > 0);
			min = `(${after.receivedAt}`;
		}
		for (let offset = 0; ; offset += CHUNK) {
			const eventIds = await this.access.command(
				async (client) => await client.zrangebyscore(key, min, max, 'LIMIT', offset, CHUNK),
			);
			if (eventIds.length > 0) yield eventIds;
			if (eventIds.length < CHUNK) return;
		}
	}
}

function pickRejection(rejection: RejectedDelivery): RejectedDelivery {
	return {
		path: rejection.path,
		scheme: rejection.scheme,
		reason: rejection.reason,
		status: rejection.status,
		at: rejection.at,
		headers: rejection.headers,
		bodyPrefix: rejection.bodyPrefix,
		sourceIp: rejection.sourceIp,
	};
}

function toEntry(namespace: string, eventId: string, fields: EntryReply): InboxEntry {
	const [
		eventType,
		scheme,
		path,
		envelope,
		headers,
		bodyHash,
		receivedAt,
		last,
		receipts,
		expiresAt,
	] = fields;
	return {
		namespace,
		eventId,
		eventType: eventType ?? null,
		scheme,
		path,
		envelope: JSON.parse(envelope) as Record<string, unknown>,
		headers: JSON.parse(headers) as Record<string, string>,
		bodyHash,
		receivedAt: Number(receivedAt),
		lastReceivedAt: Number(last),
		receipts: Number(receipts),
		expiresAt: Number(expiresAt),
	};
}
