import Redis from 'ioredis';

import type { CursorStore } from './CursorStore';
import type { DeliveryInbox } from './DeliveryInbox';
import { RedisInbox } from './RedisInbox';
import {
	type ClaimOptions,
	type ClaimOutcome,
	type ClaimRequest,
	type ClaimStatus,
	type Clock,
	type CompleteOptions,
	type CompleteOutcome,
	type CompleteRequest,
	type CompleteStatus,
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
	type ReleaseStatus,
	StoreError,
	DEFAULT_ATTEMPTS_RETENTION_MS,
	type VersionOptions,
	type VersionOutcome,
	type VersionRequest,
	systemClock,
} from './IdempotencyStore';
import { newClaimToken } from './claimToken';
import { type Script, type ScriptArgument, evaluate, script } from './redisScript';
import { compactRecord } from './transitions';
import {
	byUtf8,
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

export interface RedisStoreOptions {
	host: string;
	port: number;
	db?: number;
	username?: string;
	password?: string;
	tls?: boolean;
	/** Prepended to every Redis key this store writes. */
	keyPrefix?: string;
	clock?: Clock;
}

export const DEFAULT_REDIS_KEY_PREFIX = 'hybrid-sync:';
const CONNECT_TIMEOUT_MS = 3_000;
const COMMAND_TIMEOUT_MS = 15_000;

/**
 * Each key is one Redis hash holding these fields, in this order in every script reply. Expiry
 * is checked against the caller's clock (so leases follow the injected clock) and also set as
 * the hash's native TTL, so Redis itself drops what expired. Fields added later (token, releases,
 * crashes) come last: a hash written before them reads them as absent (no token, no count).
 */
const LUA_PRELUDE = `
local FIELDS = {'state', 'attempts', 'fingerprint', 'result', 'claimedAt', 'completedAt', 'leaseExpiresAt', 'expiresAt', 'updatedAt', 'token', 'releases', 'crashes'}
local now = tonumber(ARGV[1])
local function load(key)
	local values = redis.call('HMGET', key, unpack(FIELDS))
	if values[1] and tonumber(values[8]) > now then return values end
	return false
end
local function save(key, values)
	redis.call('DEL', key)
	local fieldValues = {}
	for index, field in ipairs(FIELDS) do
		if values[index] then
			fieldValues[#fieldValues + 1] = field
			fieldValues[#fieldValues + 1] = values[index]
		end
	end
	redis.call('HSET', key, unpack(fieldValues))
	redis.call('PEXPIRE', key, tonumber(values[8]) - now)
end
local function reply(status, values)
	local answer = {status}
	if values then
		for index = 1, #FIELDS do answer[index + 1] = values[index] end
	end
	return answer
end
local function leaseRanOut(found)
	return found and found[1] == 'inProgress' and tonumber(found[7] or found[8]) <= now
end
local function count(found, index)
	return found and tonumber(found[index] or 0) or 0
end
local function overtaken(found, token)
	return token ~= '' and found and found[10] ~= token
end
`;

/**
 * ARGV: now, leaseMs, maxAttempts (0 for none), retentionMs, then per key its fingerprint ('' for
 * none) and the token a granted claim gets.
 */
const CLAIM_SCRIPT = `${LUA_PRELUDE}
local leaseMs = tonumber(ARGV[2])
local maxAttempts = tonumber(ARGV[3])
local retentionMs = tonumber(ARGV[4])
local answers = {}
for index, key in ipairs(KEYS) do
	local fingerprint = ARGV[3 + 2 * index]
	local token = ARGV[4 + 2 * index]
	local found = load(key)
	local crashed = leaseRanOut(found)
	local status
	if found and fingerprint ~= '' and found[3] and found[3] ~= fingerprint then
		status = 'mismatch'
	elseif found and found[1] == 'completed' then
		status = 'duplicate'
	elseif found and found[1] == 'deadLetter' then
		status = 'deadLetter'
	elseif found and found[1] == 'inProgress' and not crashed then
		status = 'inProgress'
	else
		local attempts = count(found, 2)
		local releases = count(found, 11)
		local crashes = count(found, 12) + (crashed and 1 or 0)
		if crashed and maxAttempts > 0 and attempts >= maxAttempts then
			status = 'deadLetter'
			found = {'deadLetter', attempts, found[3], found[4], found[5], now, false, now + retentionMs, now, found[10], releases, crashes}
		else
			status = 'claimed'
			local leaseEnd = now + leaseMs
			local kept = (fingerprint ~= '' and fingerprint) or (found and found[3]) or false
			found = {'inProgress', attempts + 1, kept, false, now, false, leaseEnd, leaseEnd + retentionMs, now, token, releases, crashes}
		end
		save(key, found)
	end
	answers[index] = reply(status, found)
end
return answers
`;

/** ARGV: now, retentionMs, then per key its result JSON and its token ('' for none). */
const COMPLETE_SCRIPT = `${LUA_PRELUDE}
local retentionMs = tonumber(ARGV[2])
local answers = {}
for index, key in ipairs(KEYS) do
	local result = ARGV[1 + 2 * index]
	local token = ARGV[2 + 2 * index]
	local found = load(key)
	if overtaken(found, token) then
		answers[index] = reply('lostClaim', found)
	else
		local status = 'notClaimed'
		if found and found[1] == 'inProgress' and (token ~= '' or not leaseRanOut(found)) then
			status = 'completed'
		elseif found and found[1] == 'completed' then
			status = 'alreadyCompleted'
		end
		local record = {
			'completed', found and found[2] or 0, found and found[3] or false, result ~= '' and result or false,
			found and found[5] or false, now, false, now + retentionMs, now,
			(token ~= '' and token) or (found and found[10]) or false, count(found, 11), count(found, 12),
		}
		save(key, record)
		answers[index] = reply(status, record)
	end
end
return answers
`;

/** ARGV: now, maxAttempts, deadLetterRetentionMs, then per key its token ('' for none). */
const RELEASE_SCRIPT = `${LUA_PRELUDE}
local maxAttempts = tonumber(ARGV[2])
local retentionMs = tonumber(ARGV[3])
local answers = {}
for index, key in ipairs(KEYS) do
	local token = ARGV[3 + index]
	local found = load(key)
	if overtaken(found, token) then
		answers[index] = reply('lostClaim', found)
	elseif found and found[1] == 'inProgress' and (token ~= '' or not leaseRanOut(found)) then
		local dead = tonumber(found[2]) >= maxAttempts
		local record = {
			dead and 'deadLetter' or 'released', found[2], found[3], found[4], found[5],
			dead and now or false, false, now + retentionMs, now, found[10], count(found, 11) + 1, count(found, 12),
		}
		save(key, record)
		answers[index] = reply(dead and 'deadLettered' or 'released', record)
	else
		answers[index] = reply('notClaimed', found)
	end
end
return answers
`;

/** ARGV: now, ttlMs. */
const MARK_SEEN_SCRIPT = `${LUA_PRELUDE}
local ttlMs = tonumber(ARGV[2])
local answers = {}
for index, key in ipairs(KEYS) do
	local found = load(key)
	if found then
		answers[index] = reply('seen', found)
	else
		local record = {'completed', 0, false, false, false, now, false, now + ttlMs, now, false, 0, 0}
		save(key, record)
		answers[index] = reply('firstSeen', record)
	end
end
return answers
`;

/** ARGV: now. */
const INSPECT_SCRIPT = `${LUA_PRELUDE}
local answers = {}
for index, key in ipairs(KEYS) do answers[index] = reply('found', load(key)) end
return answers
`;

/** ARGV: now. Answers how many of the keys were live. */
const FORGET_SCRIPT = `${LUA_PRELUDE}
local live = 0
for _, key in ipairs(KEYS) do
	if load(key) then live = live + 1 end
	redis.call('DEL', key)
end
return live
`;

/**
 * An entity's version is a hash of `version` and `expiresAt` under its own key space. Versions
 * travel as the caller's decimal text and are compared as numbers, so Lua's formatting of numbers
 * never rounds a stored version.
 */
const VERSION_PRELUDE = `
local now = tonumber(ARGV[1])
local function loadVersion(key)
	local values = redis.call('HMGET', key, 'version', 'expiresAt')
	if values[1] and tonumber(values[2]) > now then return values[1] end
	return false
end
`;

/** ARGV: now, retentionMs, then one version per key. Answers {applied (1 or 0), latest} per key. */
const RECORD_VERSIONS_SCRIPT = `${VERSION_PRELUDE}
local retentionMs = tonumber(ARGV[2])
local answers = {}
for index, key in ipairs(KEYS) do
	local version = ARGV[2 + index]
	local latest = loadVersion(key)
	if latest and tonumber(version) <= tonumber(latest) then
		answers[index] = {0, latest}
	else
		redis.call('DEL', key)
		redis.call('HSET', key, 'version', version, 'expiresAt', now + retentionMs)
		redis.call('PEXPIRE', key, retentionMs)
		answers[index] = {1, version}
	end
end
return answers
`;

/** ARGV: now. */
const READ_VERSIONS_SCRIPT = `${VERSION_PRELUDE}
local answers = {}
for index, key in ipairs(KEYS) do answers[index] = loadVersion(key) end
return answers
`;

/** ARGV: now. A dead letter becomes released with attempts 0 (see decideRequeue). */
const REQUEUE_SCRIPT = `${LUA_PRELUDE}
local answers = {}
for index, key in ipairs(KEYS) do
	local found = load(key)
	if found and found[1] == 'deadLetter' then
		found = {'released', 0, found[3], found[4], found[5], false, false, found[8], now, found[10], count(found, 11), count(found, 12)}
		save(key, found)
	end
	answers[index] = reply('found', found)
end
return answers
`;

type ScriptReply = Array<string | number | null>;
const SCRIPTS = {
	claim: script(CLAIM_SCRIPT),
	complete: script(COMPLETE_SCRIPT),
	release: script(RELEASE_SCRIPT),
	markSeen: script(MARK_SEEN_SCRIPT),
	inspect: script(INSPECT_SCRIPT),
	forget: script(FORGET_SCRIPT),
	recordVersions: script(RECORD_VERSIONS_SCRIPT),
	readVersions: script(READ_VERSIONS_SCRIPT),
	requeue: script(REQUEUE_SCRIPT),
};

/** Keys read per SCAN step and records per inspect call while listing keys. */
const LIST_CHUNK = 1000;

/**
 * Keys live in Redis: atomic across every n8n process that reaches the server. Each batch is one
 * Lua script call (EVALSHA), which Redis runs without interleaving any other command.
 */
export class RedisStore implements IdempotencyStore {
	readonly description: string;
	/** A plain string per cursor under its own key space, without TTL: one GET or SET each. */
	readonly cursors: CursorStore = {
		read: async (key) => {
			validateCursorKey(key);
			return decodeResult(await this.command(async () => this.client.get(this.cursorKey(key))));
		},
		write: async (key, state) => {
			const text = validateCursorWrite(key, state);
			await this.command(async () => this.client.set(this.cursorKey(key), text));
		},
	};
	/** Its own key space per namespace (see RedisInbox); every keep is one script call. */
	readonly inbox: DeliveryInbox = new RedisInbox({
		clock: () => this.clock(),
		base: (namespace) => `${this.keyPrefix}i${namespace.length}:{${namespace}}:`,
		evaluate: async (target, keys, args, buffers) => {
			await this.connect();
			try {
				return await evaluate(this.client, target, keys, args, buffers);
			} catch (error) {
				throw this.failure(error);
			}
		},
		command: async (work) => await this.command(async () => await work(this.client)),
	});
	private readonly client: Redis;
	private readonly address: string;
	private readonly keyPrefix: string;
	private readonly clock: Clock;
	private connecting: Promise<void> | undefined;
	/** ioredis rejects a failed connect with "Connection is closed"; the cause came as an event. */
	private lastConnectionError: Error | undefined;

	constructor(options: RedisStoreOptions) {
		this.address = `${options.host}:${options.port}`;
		this.description = `redis (${this.address}, db ${options.db ?? 0})`;
		this.keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
		this.clock = options.clock ?? systemClock;
		this.client = new Redis({
			host: options.host,
			port: options.port,
			db: options.db ?? 0,
			username: options.username || undefined,
			password: options.password || undefined,
			tls: options.tls ? { servername: options.host } : undefined,
			connectionName: 'n8n-nodes-hybrid-sync',
			lazyConnect: true,
			connectTimeout: CONNECT_TIMEOUT_MS,
			commandTimeout: COMMAND_TIMEOUT_MS,
			// Fail fast instead of queueing and retrying for ever: the next operation connects again.
			enableOfflineQueue: false,
			maxRetriesPerRequest: 0,
			retryStrategy: () => null,
		});
		// Failures reach the caller through the operation that hit them; without a listener
		// ioredis would also print every connection error to the console.
		this.client.on('error', (error: Error) => (this.lastConnectionError = error));
	}

	async claim(
		namespace: string,
		requests: ClaimRequest[],
		options: ClaimOptions,
	): Promise<ClaimOutcome[]> {
		validateClaim(namespace, requests, options);
		const keys = requests.map((request) => request.key);
		const perKey = requests.flatMap((request) => [request.fingerprint ?? '', newClaimToken()]);
		const replies = await this.run(SCRIPTS.claim, namespace, keys, [
			Math.ceil(options.leaseMs),
			options.maxAttempts ?? 0,
			Math.ceil(options.deadLetterRetentionMs ?? DEFAULT_ATTEMPTS_RETENTION_MS),
			...perKey,
		]);
		return replies.map((reply, index) => ({
			key: keys[index],
			status: reply[0] as ClaimStatus,
			record: toRecord(namespace, keys[index], reply)!,
		}));
	}

	async complete(
		namespace: string,
		requests: CompleteRequest[],
		options: CompleteOptions,
	): Promise<CompleteOutcome[]> {
		const results = validateComplete(namespace, requests, options);
		const keys = requests.map((request) => request.key);
		const perKey = requests.flatMap((request, index) => [
			results[index] ?? '',
			request.token ?? '',
		]);
		const replies = await this.run(SCRIPTS.complete, namespace, keys, [
			Math.ceil(options.retentionMs),
			...perKey,
		]);
		return replies.map((reply, index) => ({
			key: keys[index],
			status: reply[0] as CompleteStatus,
			record: toRecord(namespace, keys[index], reply)!,
		}));
	}

	async release(
		namespace: string,
		given: ReadonlyArray<string | ReleaseRequest>,
		options: ReleaseOptions,
	): Promise<ReleaseOutcome[]> {
		const requests = validateRelease(namespace, given, options);
		const keys = requests.map((request) => request.key);
		const replies = await this.run(SCRIPTS.release, namespace, keys, [
			options.maxAttempts,
			Math.ceil(options.deadLetterRetentionMs),
			...requests.map((request) => request.token ?? ''),
		]);
		return replies.map((reply, index) => {
			const record = toRecord(namespace, keys[index], reply);
			const status = reply[0] as ReleaseStatus;
			return record ? { key: keys[index], status, record } : { key: keys[index], status };
		});
	}

	async markSeen(
		namespace: string,
		keys: string[],
		options: MarkSeenOptions,
	): Promise<MarkSeenOutcome[]> {
		validateMarkSeen(namespace, keys, options);
		const replies = await this.run(SCRIPTS.markSeen, namespace, keys, [Math.ceil(options.ttlMs)]);
		return replies.map((reply, index) => ({
			key: keys[index],
			firstSeen: reply[0] === 'firstSeen',
			record: toRecord(namespace, keys[index], reply)!,
		}));
	}

	async recordVersions(
		namespace: string,
		requests: VersionRequest[],
		options: VersionOptions,
	): Promise<VersionOutcome[]> {
		validateRecordVersions(namespace, requests, options);
		const entities = requests.map((request) => request.entity);
		const replies = await this.run<Array<[number, string]>>(
			SCRIPTS.recordVersions,
			namespace,
			entities,
			[Math.ceil(options.retentionMs), ...requests.map((request) => String(request.version))],
			this.versionKey.bind(this),
		);
		return replies.map(([applied, latest], index) => ({
			entity: entities[index],
			applied: applied === 1,
			latest: Number(latest),
		}));
	}

	async readVersions(namespace: string, entities: string[]): Promise<Array<number | undefined>> {
		validateReadVersions(namespace, entities);
		const replies = await this.run<Array<string | null>>(
			SCRIPTS.readVersions,
			namespace,
			entities,
			[],
			this.versionKey.bind(this),
		);
		return entities.map((_, index) => toNumber(replies[index] ?? null));
	}

	async inspect(namespace: string, keys: string[]): Promise<Array<KeyRecord | undefined>> {
		validateLookup(namespace, keys);
		const replies = await this.run(SCRIPTS.inspect, namespace, keys, []);
		return replies.map((reply, index) => toRecord(namespace, keys[index], reply));
	}

	/**
	 * SCANs the namespace's key records (operators and stats only: it walks the whole key space),
	 * then reads them in key order until the page is full.
	 */
	async listKeys(namespace: string, query: ListKeysQuery): Promise<KeyPage> {
		validateListKeys(namespace, query);
		const prefix = this.redisKey(namespace, '');
		const keys = new Set<string>();
		await this.command(async () => {
			let cursor = '0';
			do {
				const [next, found] = await this.client.scan(
					cursor,
					'MATCH',
					`${globEscape(prefix)}*`,
					'COUNT',
					LIST_CHUNK,
				);
				for (const redisKey of found) keys.add(redisKey.slice(prefix.length));
				cursor = next;
			} while (cursor !== '0');
		});
		const candidates = [...keys]
			.filter((key) => query.after === undefined || byUtf8(key, query.after) > 0)
			.sort(byUtf8);
		const states = query.states && new Set(query.states);
		const records: KeyRecord[] = [];
		for (
			let start = 0;
			start < candidates.length && records.length <= query.limit;
			start += LIST_CHUNK
		) {
			const found = await this.inspect(namespace, candidates.slice(start, start + LIST_CHUNK));
			for (const record of found) {
				if (!record || (states && !states.has(record.state))) continue;
				if (query.updatedSince !== undefined && record.updatedAt < query.updatedSince) continue;
				records.push(record);
			}
		}
		const page = records.slice(0, query.limit);
		return records.length > query.limit
			? { records: page, next: page.at(-1)!.key }
			: { records: page };
	}

	async requeue(namespace: string, keys: string[]): Promise<Array<KeyRecord | undefined>> {
		validateLookup(namespace, keys);
		const replies = await this.run(SCRIPTS.requeue, namespace, keys, []);
		return replies.map((reply, index) => toRecord(namespace, keys[index], reply));
	}

	async forget(namespace: string, keys: string[]): Promise<number> {
		validateLookup(namespace, keys);
		return keys.length === 0 ? 0 : this.run<number>(SCRIPTS.forget, namespace, keys, []);
	}

	/** Redis has no bound of this store's own (a server's maxmemory eviction is not seen here). */
	async evictions(): Promise<number> {
		return 0;
	}

	async close(): Promise<void> {
		if (this.client.status === 'ready') {
			await this.client.quit().catch(() => this.client.disconnect());
		} else if (this.client.status !== 'end') {
			this.client.disconnect();
		}
	}

	/**
	 * `<prefix><length of namespace>:{<namespace>}:<key>`: the length keeps namespace and key apart
	 * whatever characters they hold, and the braces put a namespace in one Redis Cluster slot.
	 */
	private redisKey(namespace: string, key: string): string {
		return `${this.keyPrefix}${namespace.length}:{${namespace}}:${key}`;
	}

	/**
	 * Like `redisKey` after a `v`: key records start with a digit there, so no entity's version
	 * can share a Redis key with a key record, whatever the names.
	 */
	private versionKey(namespace: string, entity: string): string {
		return `${this.keyPrefix}v${namespace.length}:{${namespace}}:${entity}`;
	}

	/** After a `c`, where neither key records (a digit) nor versions (`v`) start. */
	private cursorKey(key: string): string {
		return `${this.keyPrefix}c:${key}`;
	}

	private async command<T>(work: () => Promise<T>): Promise<T> {
		await this.connect();
		try {
			return await work();
		} catch (error) {
			throw this.failure(error);
		}
	}

	private async run<T = ScriptReply[]>(
		target: Script,
		namespace: string,
		keys: string[],
		args: ScriptArgument[],
		redisKeyOf: (namespace: string, key: string) => string = this.redisKey.bind(this),
	): Promise<T> {
		if (keys.length === 0) return [] as T;
		await this.connect();
		const redisKeys = keys.map((key) => redisKeyOf(namespace, key));
		try {
			return await evaluate<T>(this.client, target, redisKeys, [this.clock(), ...args]);
		} catch (error) {
			throw this.failure(error);
		}
	}

	private async connect(): Promise<void> {
		if (this.client.status === 'ready') return;
		this.connecting ??= this.openConnection().finally(() => (this.connecting = undefined));
		await this.connecting;
	}

	/** ioredis' own timeout ends at the TCP connect; a server that never answers must fail too. */
	private async openConnection(): Promise<void> {
		let timer: NodeJS.Timeout | undefined;
		const deadline = new Promise<never>((_, reject) => {
			timer = setTimeout(
				() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)),
				CONNECT_TIMEOUT_MS,
			);
		});
		this.lastConnectionError = undefined;
		try {
			await Promise.race([this.client.connect(), deadline]);
		} catch (error) {
			this.client.disconnect();
			throw this.failure(this.lastConnectionError ?? error, true);
		} finally {
			clearTimeout(timer);
		}
	}

	private failure(error: unknown, connecting = false): StoreError {
		const message = error instanceof Error ? error.message : String(error);
		if (/WRONGPASS|NOAUTH|invalid password/i.test(message)) {
			return new StoreError(
				`Redis at ${this.address} refused the username or password: ${message}`,
				'invalidConfig',
				{ cause: error },
			);
		}
		if (/NOPERM/.test(message)) {
			return new StoreError(
				`Redis at ${this.address} does not allow this user to run the store's scripts: ${message}`,
				'invalidConfig',
				{ cause: error },
			);
		}
		if (connecting || /Connection is closed|Command timed out|ECONNRESET|EPIPE/i.test(message)) {
			return new StoreError(`Cannot reach Redis at ${this.address}: ${message}`, 'unreachable', {
				cause: error,
			});
		}
		return new StoreError(`Redis at ${this.address} failed: ${message}`, 'backendFailure', {
			cause: error,
		});
	}
}

/** A SCAN pattern matching `text` literally. */
const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

function toNumber(value: string | number | null): number | undefined {
	return value === null || value === undefined ? undefined : Number(value);
}

/** A script reply `[status, ...FIELDS]` as a record; undefined when the reply carries none. */
function toRecord(namespace: string, key: string, reply: ScriptReply): KeyRecord | undefined {
	if (reply.length < 2 || reply[1] === null) return undefined;
	const [
		,
		state,
		attempts,
		fingerprint,
		result,
		claimedAt,
		completedAt,
		leaseExpiresAt,
		expiresAt,
		updatedAt,
		token,
		releases,
		crashes,
	] = reply;
	return compactRecord({
		namespace,
		key,
		state: state as KeyState,
		attempts: Number(attempts),
		fingerprint: fingerprint === null ? undefined : String(fingerprint),
		result: decodeResult(result === null ? null : String(result)),
		claimedAt: toNumber(claimedAt),
		completedAt: toNumber(completedAt),
		leaseExpiresAt: toNumber(leaseExpiresAt),
		expiresAt: Number(expiresAt),
		updatedAt: Number(updatedAt),
		token: token === null || token === undefined ? undefined : String(token),
		releases: Number(releases ?? 0),
		crashes: Number(crashes ?? 0),
	});
}
