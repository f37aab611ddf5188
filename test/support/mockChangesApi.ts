import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

import { listenLocally } from './localServer';
import { recordRequest, type RequestRecord } from './requestRecord';

/**
 * A real HTTP changes API on 127.0.0.1 for the Cursor Poll Trigger's tests and benchmarks: an
 * in-memory dataset that the test changes between (or during) polls, served in every pagination
 * style the trigger supports, with faults and auth to switch on. It knows nothing about the node.
 *
 * Routes (GET, or POST with a JSON body that is only logged; each filters `updatedAt >=
 * updated_since` and orders by (updatedAt, id)):
 *   /changes/cursor    `{ data, next_cursor }`, next page with `?cursor=`        keyset
 *   /changes/link      body is the array, `Link: <…>; rel="next"`               keyset
 *   /changes/next-url  `{ items, next }`, `next` a URL to follow                keyset
 *   /changes/offset    `offset` + `limit`, `{ results, total }`                 plain offset
 *   /changes/page      `page` (from 1) + `per_page`, `{ records, has_more }`     plain offset
 *   /changes/none      every matching record at once (at most `responseLimit`), body is the array
 *   /changes           the `defaultStyle` route
 * (all under `pathPrefix` when one is set, e.g. /api/sales-orders/changes).
 * Keyset tokens carry the last (updatedAt, id) served and the snapshot bound (the clock at the first
 * page): a walk never repeats or skips a record, and writes stamped after it started wait for the
 * next poll. Offsets are plain, so they skip or repeat records that move mid-walk, as real ones do.
 */

export type PaginationRoute = 'cursor' | 'link' | 'next-url' | 'offset' | 'page' | 'none';

export const PAGINATION_ROUTES: readonly PaginationRoute[] = ['cursor', 'link', 'next-url', 'offset', 'page', 'none'];

export interface ChangeRecord {
	id: string;
	/** ISO 8601, rendered with `Z` or with the configured offset. */
	updatedAt: string;
	[field: string]: unknown;
}

/** What a test hands in: `updatedAt` as ISO (any offset) or epoch ms; omitted = the mock's clock. */
export type RecordInput = { id: string; updatedAt?: string | number } & Record<string, unknown>;

export type Malformation =
	/** 200 with a truncated JSON body. */
	| 'notJson'
	/** 200 JSON without the records array (`{}` where the route answers a bare array). */
	| 'missingRecords'
	/** The page's records carry `updatedAt: "not-a-date"`. */
	| 'badCursorField'
	/** The next-page token/URL/flag is garbage; a cursor the mock cannot read answers 400. */
	| 'badNextToken';

export interface MockChangesApiOptions {
	/** Records present from the start. */
	records?: RecordInput[];
	/** The mock's clock, epoch ms or ISO; default the real time at start. It only moves when told. */
	clock?: number | string;
	/** How `updatedAt` is written: 'Z' (UTC) or an offset like '+02:00' / '-05:30'. Default 'Z'. */
	timezone?: string;
	/** Page size when the request names none. Default 100. */
	defaultLimit?: number;
	/** Larger requested page sizes are cut to this. Default 1000. */
	maxLimit?: number;
	/** Mounts the routes under this path, e.g. '/api/sales-orders'. Default: none. */
	pathPrefix?: string;
	/** The cursor field's name in answers, e.g. 'updated_at'. Default 'updatedAt' (what the test API uses). */
	cursorField?: string;
	/** The style `/changes` answers in. Default 'cursor'. */
	defaultStyle?: PaginationRoute;
	/** How next links are written. Default: Link header absolute, `next` field relative. */
	nextLinks?: { linkHeader?: 'absolute' | 'relative'; nextField?: 'absolute' | 'relative' };
	/** Answer 401 unless this credential comes along. */
	auth?: { bearer: string } | { header: string; value: string };
	/**
	 * Route `none` answers at most this many records and no next link, as APIs with a hard cap per
	 * response do. Default: no cap.
	 */
	responseLimit?: number;
	/**
	 * A tie-break query parameter (e.g. 'after_id') taken with `updated_since` on every route's first
	 * page: records at exactly updated_since with an id up to this one are left out, so
	 * (updatedAt, id) > (updated_since, after_id). Default: none accepted.
	 */
	tieBreakParam?: string;
}

export interface LoggedRequest extends RequestRecord {
	/** Epoch ms when the request arrived and when the answer was sent. */
	receivedAt: number;
	at: number;
	/** Records in the answer (0 for faults). */
	served: number;
	/** The request body as sent (POST), else ''. */
	body: string;
}

export interface MockChangesApi {
	/** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
	url: string;
	port: number;
	/** Adds records (or replaces records with the same id); `updatedAt` defaults to the clock. */
	insert(records: RecordInput | RecordInput[]): void;
	/** Merges `patch` into the record and stamps `updatedAt` with the clock. Throws for an unknown id. */
	update(id: string, patch?: Record<string, unknown>): ChangeRecord;
	/** A write that shows up late: its `updatedAt` must be before the clock. */
	insertLate(record: RecordInput & { updatedAt: string | number }): void;
	remove(id: string): void;
	/** Ground truth, ordered by (updatedAt, id). */
	records(): ChangeRecord[];
	setClock(time: number | string): void;
	advanceClock(ms: number): void;
	/** The clock in epoch ms. */
	now(): number;
	/** The next `count` route requests answer `status` (with `Retry-After: <seconds>` if given). */
	failNext(count: number, status: number, options?: { retryAfter?: number }): void;
	/** The next route request gets a malformed 200 answer. */
	malformNext(kind: Malformation): void;
	/** Every request in arrival order, including 401s and faults. */
	readonly requests: LoggedRequest[];
	clearRequests(): void;
	close(): Promise<void>;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Epoch values below this are seconds (this is 5138 AD in seconds, 1973 in ms). */
const EPOCH_SECONDS_BELOW = 1e11;

interface Stored {
	ms: number;
	id: string;
	/** Everything but `updatedAt`, which is rendered from `ms`. */
	fields: Record<string, unknown>;
}

interface KeysetToken {
	/** updated_since in epoch ms; null = from the start. */
	since: number | null;
	/** Snapshot bound: only records with updatedAt <= this (the clock at the first page). */
	until: number;
	/** The last record served; null before the first page. */
	last: [ms: number, id: string] | null;
	limit: number;
}

type Fault = { kind: 'status'; status: number; retryAfter?: number } | { kind: 'malform'; malformation: Malformation };

interface Page {
	records: Stored[];
	body: unknown;
	headers?: Record<string, string>;
}

class BadRequest extends Error {}

function parseTime(value: string | number, what: string): number {
	if (typeof value === 'number') return value;
	if (/^-?\d+(\.\d+)?$/.test(value.trim())) {
		const epoch = Number(value);
		return epoch < EPOCH_SECONDS_BELOW ? epoch * 1000 : epoch;
	}
	const ms = Date.parse(value);
	if (Number.isNaN(ms)) throw new BadRequest(`${what} is neither ISO 8601 nor epoch: "${value}"`);
	return ms;
}

function offsetMinutes(timezone: string): number {
	if (timezone === 'Z') return 0;
	const match = /^([+-])(\d{2}):(\d{2})$/.exec(timezone);
	if (!match) throw new Error(`timezone must be 'Z' or like '+02:00', got "${timezone}"`);
	return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

function formatTime(ms: number, timezone: string): string {
	if (timezone === 'Z') return new Date(ms).toISOString();
	return new Date(ms + offsetMinutes(timezone) * 60_000).toISOString().replace('Z', timezone);
}

const byKey = (a: Stored, b: Stored) =>
	a.ms - b.ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const encodeToken = (token: KeysetToken) => Buffer.from(JSON.stringify(token)).toString('base64url');

function decodeToken(text: string): KeysetToken {
	try {
		const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as KeysetToken;
		const lastOk = token.last === null || (Array.isArray(token.last) && typeof token.last[1] === 'string');
		const sinceOk = token.since === null || Number.isFinite(token.since);
		if (lastOk && sinceOk && Number.isFinite(token.until) && Number.isInteger(token.limit) && token.limit > 0) return token;
	} catch {
		// Reported below, like any token the mock did not write.
	}
	throw new BadRequest(`cursor is not one this API issued: "${text}"`);
}

function positiveInt(value: string | undefined, fallback: number, what: string): number {
	if (value === undefined || value === '') return fallback;
	const number = Number(value);
	if (!Number.isInteger(number) || number < 0) throw new BadRequest(`${what} must be a whole number, got "${value}"`);
	return number;
}

export async function startMockChangesApi(options: MockChangesApiOptions = {}): Promise<MockChangesApi> {
	const timezone = options.timezone ?? 'Z';
	offsetMinutes(timezone); // A bad offset fails here, not on the first request.
	const defaultLimit = options.defaultLimit ?? DEFAULT_LIMIT;
	const maxLimit = options.maxLimit ?? MAX_LIMIT;
	const defaultStyle = options.defaultStyle ?? 'cursor';
	const linkForm = { linkHeader: 'absolute', nextField: 'relative', ...options.nextLinks };
	let clock = options.clock === undefined ? Date.now() : parseTime(options.clock, 'clock');
	const byId = new Map<string, Stored>();
	let sorted: Stored[] | undefined;
	const faults: Fault[] = [];
	const requests: LoggedRequest[] = [];
	let origin = '';
	const pathPrefix = (options.pathPrefix ?? '').replace(/\/$/, '');
	const routePattern = new RegExp(`^${pathPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/changes(?:/([a-z-]+))?/?$`);

	const ordered = () => (sorted ??= [...byId.values()].sort(byKey));
	const render = ({ ms, id, fields }: Stored): ChangeRecord => ({ ...fields, id, updatedAt: formatTime(ms, timezone) });
	const cursorField = options.cursorField ?? 'updatedAt';
	const renderAnswer = (stored: Stored): Record<string, unknown> => {
		const { updatedAt, ...rest } = render(stored);
		return { ...rest, [cursorField]: updatedAt };
	};
	const store = ({ updatedAt, ...fields }: RecordInput, ms: number) => {
		byId.set(fields.id, { ms, id: fields.id, fields });
		sorted = undefined;
	};

	/** Index of the first record for which `before` is false (the list is in key order). */
	const lowerBound = (list: Stored[], before: (stored: Stored) => boolean) => {
		let low = 0;
		let high = list.length;
		while (low < high) {
			const middle = (low + high) >>> 1;
			if (before(list[middle])) low = middle + 1;
			else high = middle;
		}
		return low;
	};
	const firstAtOrAfter = (list: Stored[], ms: number) => lowerBound(list, (stored) => stored.ms < ms);
	const firstAfter = (list: Stored[], [ms, id]: [number, string]) =>
		lowerBound(list, (stored) => stored.ms < ms || (stored.ms === ms && stored.id <= id));

	const sinceOf = (query: URLSearchParams) => {
		const since = query.get('updated_since');
		return since ? parseTime(since, 'updated_since') : null;
	};
	/** Index of the first record the filter (updated_since, and the tie-break when given) lets through. */
	const firstMatching = (list: Stored[], query: URLSearchParams) => {
		const since = sinceOf(query);
		if (since === null) return 0;
		const afterId = options.tieBreakParam ? query.get(options.tieBreakParam) : null;
		return afterId ? firstAfter(list, [since, afterId]) : firstAtOrAfter(list, since);
	};
	const matching = (query: URLSearchParams) => {
		const list = ordered();
		return list.slice(firstMatching(list, query));
	};
	const limitOf = (query: URLSearchParams, name: string) =>
		Math.min(maxLimit, Math.max(1, positiveInt(query.get(name) ?? undefined, defaultLimit, name)));

	function keysetPage(query: URLSearchParams): { records: Stored[]; next: KeysetToken | null } {
		const cursor = query.get('cursor');
		const token: KeysetToken = cursor
			? decodeToken(cursor)
			: { since: sinceOf(query), until: clock, last: null, limit: limitOf(query, 'limit') };
		const list = ordered();
		let index = token.last
			? firstAfter(list, token.last)
			: !cursor
				? firstMatching(list, query)
				: token.since === null
					? 0
					: firstAtOrAfter(list, token.since);
		const records: Stored[] = [];
		for (; index < list.length && records.length < token.limit && list[index].ms <= token.until; index++)
			records.push(list[index]);
		const more = index < list.length && list[index].ms <= token.until;
		const last = records[records.length - 1];
		return { records, next: more && last ? { ...token, last: [last.ms, last.id] } : null };
	}

	const linkTo = (path: string, token: KeysetToken, form: string) =>
		`${form === 'absolute' ? origin : ''}${path}?${new URLSearchParams({ cursor: encodeToken(token) })}`;

	function answer(style: PaginationRoute, path: string, query: URLSearchParams): Page {
		switch (style) {
			case 'cursor': {
				const { records, next } = keysetPage(query);
				return { records, body: { data: records.map(renderAnswer), next_cursor: next && encodeToken(next) } };
			}
			case 'link': {
				const { records, next } = keysetPage(query);
				const headers: Record<string, string> = next
					? { link: `<${linkTo(path, next, linkForm.linkHeader)}>; rel="next"` }
					: {};
				return { records, body: records.map(renderAnswer), headers };
			}
			case 'next-url': {
				const { records, next } = keysetPage(query);
				return { records, body: { items: records.map(renderAnswer), next: next && linkTo(path, next, linkForm.nextField) } };
			}
			case 'offset': {
				const all = matching(query);
				const offset = positiveInt(query.get('offset') ?? undefined, 0, 'offset');
				const records = all.slice(offset, offset + limitOf(query, 'limit'));
				return { records, body: { results: records.map(renderAnswer), total: all.length } };
			}
			case 'page': {
				const all = matching(query);
				const page = Math.max(1, positiveInt(query.get('page') ?? undefined, 1, 'page'));
				const perPage = limitOf(query, 'per_page');
				const records = all.slice((page - 1) * perPage, page * perPage);
				return { records, body: { records: records.map(renderAnswer), has_more: page * perPage < all.length } };
			}
			case 'none': {
				const records = matching(query).slice(0, options.responseLimit);
				return { records, body: records.map(renderAnswer) };
			}
		}
	}

	/** Rewrites a good page into the malformed one a test asked for. */
	function malform(style: PaginationRoute, page: Page, malformation: Malformation): { body: string; headers?: Record<string, string> } {
		const body = page.body as Record<string, unknown> | unknown[];
		switch (malformation) {
			case 'notJson':
				return { body: JSON.stringify(body).slice(0, 40) };
			case 'missingRecords': {
				if (Array.isArray(body)) return { body: '{}', headers: page.headers };
				const { data, items, results, records, ...rest } = body;
				return { body: JSON.stringify(rest), headers: page.headers };
			}
			case 'badCursorField': {
				const broken = (list: unknown) =>
					(list as ChangeRecord[]).map((record) => ({ ...record, [cursorField]: 'not-a-date' }));
				if (Array.isArray(body)) return { body: JSON.stringify(broken(body)), headers: page.headers };
				const key = { cursor: 'data', 'next-url': 'items', offset: 'results', page: 'records' }[style as string] ?? 'data';
				return { body: JSON.stringify({ ...body, [key]: broken(body[key]) }), headers: page.headers };
			}
			case 'badNextToken': {
				if (style === 'link') return { body: JSON.stringify(body), headers: { link: 'garbage; rel=next' } };
				const field = { cursor: 'next_cursor', 'next-url': 'next', offset: 'total', page: 'has_more' }[style as string];
				return { body: JSON.stringify(field ? { ...(body as object), [field]: '%%not-a-token%%' } : body) };
			}
		}
	}

	function authorized(headers: IncomingHttpHeaders): boolean {
		const auth = options.auth;
		if (!auth) return true;
		if ('bearer' in auth) return headers.authorization === `Bearer ${auth.bearer}`;
		return headers[auth.header.toLowerCase()] === auth.value;
	}

	function handle(request: IncomingMessage, response: ServerResponse, requestBody: string): void {
		const receivedAt = Date.now();
		const url = new URL(request.url ?? '/', origin);
		const send = (status: number, body: string, headers: Record<string, string> = {}, served = 0) => {
			response.writeHead(status, { 'content-type': 'application/json', ...headers });
			response.end(body);
			requests.push({
				...recordRequest(request, url, status),
				receivedAt,
				at: Date.now(),
				served,
				body: requestBody,
			});
		};
		const error = (status: number, message: string, headers?: Record<string, string>) =>
			send(status, JSON.stringify({ error: message }), headers);

		const route = routePattern.exec(url.pathname);
		const style = (route?.[1] ?? defaultStyle) as PaginationRoute;
		if (!route || !PAGINATION_ROUTES.includes(style)) return error(404, `No route ${url.pathname}`);
		if (request.method !== 'GET' && request.method !== 'POST')
			return error(405, 'Only GET or POST', { allow: 'GET, POST' });
		if (!authorized(request.headers)) return error(401, 'Missing or wrong credentials', { 'www-authenticate': 'Bearer' });

		const fault = faults.shift();
		if (fault?.kind === 'status') {
			const headers: Record<string, string> =
				fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
			return error(fault.status, `Injected ${fault.status}`, headers);
		}
		let page: Page;
		try {
			page = answer(style, url.pathname, url.searchParams);
		} catch (caught) {
			if (caught instanceof BadRequest) return error(400, caught.message);
			throw caught;
		}
		if (fault?.kind === 'malform') {
			const { body, headers } = malform(style, page, fault.malformation);
			return send(200, body, headers, page.records.length);
		}
		send(200, JSON.stringify(page.body), page.headers, page.records.length);
	}

	const server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			try {
				handle(request, response, Buffer.concat(chunks).toString('utf8'));
			} catch (caught) {
				response.writeHead(500, { 'content-type': 'application/json' });
				response.end(JSON.stringify({ error: `Mock failed: ${(caught as Error).message}` }));
			}
		});
	});
	const listening = await listenLocally(server);
	const { port } = listening;
	origin = listening.origin;

	const api: MockChangesApi = {
		url: origin,
		port,
		insert(records) {
			for (const record of Array.isArray(records) ? records : [records])
				store(record, record.updatedAt === undefined ? clock : parseTime(record.updatedAt, `updatedAt of ${record.id}`));
		},
		update(id, patch = {}) {
			const current = byId.get(id);
			if (!current) throw new Error(`update: no record "${id}"`);
			const stored: RecordInput = { ...current.fields, ...patch, id };
			store(stored, clock);
			return render(byId.get(id)!);
		},
		insertLate(record) {
			const ms = parseTime(record.updatedAt, `updatedAt of ${record.id}`);
			if (ms >= clock) throw new Error(`insertLate: ${record.id} is stamped at or after the clock; use insert`);
			store(record, ms);
		},
		remove(id) {
			byId.delete(id);
			sorted = undefined;
		},
		records: () => ordered().map(render),
		setClock(time) {
			clock = parseTime(time, 'clock');
		},
		advanceClock(ms) {
			clock += ms;
		},
		now: () => clock,
		failNext(count, status, { retryAfter } = {}) {
			for (let index = 0; index < count; index++) faults.push({ kind: 'status', status, retryAfter });
		},
		malformNext(malformation) {
			faults.push({ kind: 'malform', malformation });
		},
		requests,
		clearRequests() {
			requests.length = 0;
		},
		close: listening.close,
	};
	if (options.records) api.insert(options.records);
	return api;
}
