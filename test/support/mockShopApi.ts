import { createHmac, randomUUID } from 'node:crypto';
import {
	createServer,
	type IncomingHttpHeaders,
	type IncomingMessage,
	type ServerResponse,
} from 'node:http';

import { listenLocally } from './localServer';

/**
 * A shop's order API on 127.0.0.1 for the order templates' tests: in-memory orders, served in the
 * shape the templates expect, with every approval the workflows post recorded, and a helper that
 * signs webhook deliveries as Shopify does. It knows nothing about n8n.
 *
 * Routes (all under /api, JSON; 401 without the access token when one is set):
 *   GET  /orders          `{ orders }` ordered by (updated_at, id); filters `created_at_min`,
 *                         `updated_at_min` (inclusive, ISO 8601), `limit` (capped at `maxLimit`);
 *                         the next page is in `Link: <…?page_info=…>; rel="next"` (Shopify's keyset
 *                         paging: the token carries the filters, other filters beside it are ignored)
 *   GET  /orders/:id      `{ order }`: the summary plus the risk assessment and line items
 *   GET  /customers/:id   `{ customer: { id, orders_count, ... } }`: the customer's history
 *   POST /approvals       `{ orderId, branch, ... }` -> 201 `{ id, orderId, branch }`; recorded
 */

export type Risk = 'low' | 'medium' | 'high';
export type ApprovalBranch = 'auto' | 'manager' | 'finance';

const BRANCHES: readonly ApprovalBranch[] = ['auto', 'manager', 'finance'];

/** An order as the shop holds it. */
export interface ShopOrder {
	id: number;
	name: string;
	/** Missing on an order whose total the shop could not give (the routing must not guess). */
	total?: number | string;
	currency: string;
	risk: Risk;
	customer: { id: number; orders_count: number };
	created_at: string;
	updated_at: string;
}

/** What the list endpoint and the orders/create webhook carry: no risk, no customer history. */
export interface OrderSummary {
	id: number;
	name: string;
	total?: number | string;
	currency: string;
	customer: { id: number };
	created_at: string;
	updated_at: string;
}

export interface RecordedApproval {
	orderId: string;
	branch: ApprovalBranch;
	body: Record<string, unknown>;
	at: number;
}

export interface ShopRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: IncomingHttpHeaders;
	status: number;
	/** The IDs of the orders a list answer carried; empty for other routes. */
	served: number[];
}

export interface MockShopApiOptions {
	orders?: ShopOrder[];
	/** Requests without `X-Shopify-Access-Token: <accessToken>` get 401. Default: no check. */
	accessToken?: string;
	/** Page size when the request names none. Default 50. */
	defaultLimit?: number;
	/** Larger requested page sizes are cut to this (many APIs cap pages). Default 250. */
	maxLimit?: number;
}

export interface MockShopApi {
	/** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
	url: string;
	insert(orders: ShopOrder | ShopOrder[]): void;
	order(id: number): ShopOrder;
	/** The summary the list endpoint and the webhook carry. */
	summary(id: number): OrderSummary;
	/** Approvals answered 201, in arrival order. */
	readonly approvals: RecordedApproval[];
	/** Every request with the status it got. */
	readonly requests: ShopRequest[];
	/** The next `count` approval posts for this order answer `status` (and are not recorded). */
	failApprovals(orderId: string, count: number, status?: number): void;
	close(): Promise<void>;
}

interface PageToken {
	createdMin: number | null;
	updatedMin: number | null;
	limit: number;
	/** The last (updated_at ms, id) served. */
	after: [number, number];
}

interface Answer {
	status: number;
	body: unknown;
	headers?: Record<string, string>;
	served?: number[];
}

class BadRequest extends Error {}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 250;

export function summarize(order: ShopOrder): OrderSummary {
	const { id, name, total, currency, customer, created_at, updated_at } = order;
	return { id, name, total, currency, customer: { id: customer.id }, created_at, updated_at };
}

function parseTime(text: string, what: string): number {
	const ms = Date.parse(text);
	if (Number.isNaN(ms)) throw new BadRequest(`${what} is not a date: "${text}"`);
	return ms;
}

function readLimit(text: string | null, defaultLimit: number, maxLimit: number): number {
	if (text === null || text === '') return defaultLimit;
	const limit = Number(text);
	if (!Number.isInteger(limit) || limit < 1)
		throw new BadRequest(`limit must be >= 1, got "${text}"`);
	return Math.min(limit, maxLimit);
}

const encodeToken = (token: PageToken) => Buffer.from(JSON.stringify(token)).toString('base64url');

function decodeToken(text: string): PageToken {
	try {
		const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as PageToken;
		if (Array.isArray(token.after) && Number.isInteger(token.limit)) return token;
	} catch {
		// Reported below, like any token this API did not write.
	}
	throw new BadRequest(`page_info is not one this API issued: "${text}"`);
}

async function readBody(request: IncomingMessage): Promise<unknown> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	const text = Buffer.concat(chunks).toString('utf8');
	try {
		return JSON.parse(text) as unknown;
	} catch {
		throw new BadRequest('body is not JSON');
	}
}

export async function startMockShopApi(options: MockShopApiOptions = {}): Promise<MockShopApi> {
	const defaultLimit = options.defaultLimit ?? DEFAULT_LIMIT;
	const maxLimit = options.maxLimit ?? MAX_LIMIT;
	const byId = new Map<number, ShopOrder>();
	const approvals: RecordedApproval[] = [];
	const requests: ShopRequest[] = [];
	const failures = new Map<string, { count: number; status: number }>();
	let origin = '';

	const updatedMs = (order: ShopOrder) => Date.parse(order.updated_at);
	const inKeyOrder = () =>
		[...byId.values()].sort((a, b) => updatedMs(a) - updatedMs(b) || a.id - b.id);

	function listPage(query: URLSearchParams): Answer {
		const pageInfo = query.get('page_info');
		const first = (name: string) => {
			const value = query.get(name);
			return value ? parseTime(value, name) : null;
		};
		const token: Omit<PageToken, 'after'> & { after: PageToken['after'] | null } = pageInfo
			? decodeToken(pageInfo)
			: {
					createdMin: first('created_at_min'),
					updatedMin: first('updated_at_min'),
					limit: readLimit(query.get('limit'), defaultLimit, maxLimit),
					after: null,
				};
		const matching = inKeyOrder().filter(
			(order) =>
				(token.createdMin === null || Date.parse(order.created_at) >= token.createdMin) &&
				(token.updatedMin === null || updatedMs(order) >= token.updatedMin),
		);
		const after = token.after;
		const rest = after
			? matching.filter(
					(order) =>
						updatedMs(order) > after[0] || (updatedMs(order) === after[0] && order.id > after[1]),
				)
			: matching;
		const page = rest.slice(0, token.limit);
		const last = page[page.length - 1];
		const headers: Record<string, string> = {};
		if (rest.length > page.length && last) {
			const next = encodeToken({ ...token, after: [updatedMs(last), last.id] });
			headers.link = `<${origin}/api/orders?limit=${token.limit}&page_info=${next}>; rel="next"`;
		}
		return {
			status: 200,
			body: { orders: page.map(summarize) },
			headers,
			served: page.map((order) => order.id),
		};
	}

	function recordApproval(body: unknown): Answer {
		const fields = (body ?? {}) as Record<string, unknown>;
		const orderId = fields.orderId;
		const branch = fields.branch as ApprovalBranch;
		if (typeof orderId !== 'string' && typeof orderId !== 'number')
			throw new BadRequest('orderId is required');
		if (!BRANCHES.includes(branch))
			throw new BadRequest(`branch must be one of ${BRANCHES.join(', ')}, got "${String(branch)}"`);
		const failure = failures.get(String(orderId));
		if (failure && failure.count > 0) {
			failure.count -= 1;
			return { status: failure.status, body: { error: `Injected ${failure.status}` } };
		}
		approvals.push({ orderId: String(orderId), branch, body: fields, at: Date.now() });
		return {
			status: 201,
			body: { id: `apr_${approvals.length}`, orderId: String(orderId), branch },
		};
	}

	async function answer(request: IncomingMessage, url: URL): Promise<Answer> {
		if (options.accessToken && request.headers['x-shopify-access-token'] !== options.accessToken)
			return { status: 401, body: { errors: 'Invalid API key or access token' } };
		const method = request.method ?? 'GET';
		const path = url.pathname.replace(/\/$/, '');
		if (method === 'GET' && path === '/api/orders') return listPage(url.searchParams);
		const orderMatch = /^\/api\/orders\/(\d+)$/.exec(path);
		if (method === 'GET' && orderMatch) {
			const order = byId.get(Number(orderMatch[1]));
			if (!order) return { status: 404, body: { errors: 'Not Found' } };
			return { status: 200, body: { order: { ...order, line_items: lineItems(order) } } };
		}
		const customerMatch = /^\/api\/customers\/(\d+)$/.exec(path);
		if (method === 'GET' && customerMatch) {
			const id = Number(customerMatch[1]);
			const order = [...byId.values()].find((candidate) => candidate.customer.id === id);
			if (!order) return { status: 404, body: { errors: 'Not Found' } };
			return { status: 200, body: { customer: { ...order.customer, state: 'enabled' } } };
		}
		if (method === 'POST' && path === '/api/approvals') {
			return recordApproval(await readBody(request));
		}
		return { status: 404, body: { errors: `No route ${method} ${url.pathname}` } };
	}

	function handle(request: IncomingMessage, response: ServerResponse): void {
		const url = new URL(request.url ?? '/', origin);
		const send = ({ status, body, headers = {}, served = [] }: Answer) => {
			response.writeHead(status, { 'content-type': 'application/json', ...headers });
			response.end(JSON.stringify(body));
			requests.push({
				method: request.method ?? 'GET',
				path: url.pathname,
				query: Object.fromEntries(url.searchParams),
				headers: request.headers,
				status,
				served,
			});
		};
		answer(request, url).then(send, (error: unknown) =>
			send(
				error instanceof BadRequest
					? { status: 400, body: { errors: error.message } }
					: { status: 500, body: { errors: `Mock failed: ${(error as Error).message}` } },
			),
		);
	}

	const server = createServer(handle);
	const listening = await listenLocally(server);
	origin = listening.origin;

	const api: MockShopApi = {
		url: origin,
		insert(orders) {
			for (const order of Array.isArray(orders) ? orders : [orders]) byId.set(order.id, order);
		},
		order(id) {
			const order = byId.get(id);
			if (!order) throw new Error(`No order ${id}`);
			return order;
		},
		summary: (id) => summarize(api.order(id)),
		approvals,
		requests,
		failApprovals(orderId, count, status = 503) {
			failures.set(orderId, { count, status });
		},
		close: listening.close,
	};
	if (options.orders) api.insert(options.orders);
	return api;
}

function lineItems(order: ShopOrder): Array<Record<string, unknown>> {
	return [{ sku: `SKU-${order.id % 97}`, quantity: 1, price: order.total }];
}

/** A small deterministic generator (mulberry32): the same seed gives the same orders. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Each sample order has its own customer, so each customer's history is that order's. */
const CUSTOMER_ID_OFFSET = 2_000_000_000;

/**
 * `count` orders placed one every `stepMs` from `startMs`, with totals from 20 to 1,200, one in ten
 * of high risk and one in five from a first-time customer: every approval rule gets its share.
 */
export function sampleOrders(
	count: number,
	{
		startMs,
		stepMs = 1000,
		seed = 1,
		firstId = 5_100_000_001,
	}: {
		startMs: number;
		stepMs?: number;
		seed?: number;
		firstId?: number;
	},
): ShopOrder[] {
	const random = seededRandom(seed);
	return Array.from({ length: count }, (_, index) => {
		const placedAt = new Date(startMs + index * stepMs).toISOString();
		const riskDraw = random();
		return {
			id: firstId + index,
			name: `#${1001 + index}`,
			total: Math.round((20 + random() * 1180) * 100) / 100,
			currency: 'EUR',
			risk: riskDraw < 0.1 ? 'high' : riskDraw < 0.4 ? 'medium' : 'low',
			customer: {
				id: CUSTOMER_ID_OFFSET + firstId + index,
				orders_count: random() < 0.2 ? 1 : 2 + Math.floor(random() * 30),
			},
			created_at: placedAt,
			updated_at: placedAt,
		};
	});
}

export interface ShopifyDelivery {
	body: string;
	headers: Record<string, string>;
}

/**
 * One webhook delivery signed as Shopify signs it: base64 HMAC-SHA256 of the raw body in
 * X-Shopify-Hmac-Sha256. X-Shopify-Event-Id names the event and stays the same on retries;
 * X-Shopify-Webhook-Id names the delivery and does not.
 */
export function shopifyDelivery(
	payload: unknown,
	secret: string,
	{ eventId = randomUUID(), topic = 'orders/create' }: { eventId?: string; topic?: string } = {},
): ShopifyDelivery {
	const body = JSON.stringify(payload);
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
			'x-shopify-topic': topic,
			'x-shopify-event-id': eventId,
			'x-shopify-webhook-id': randomUUID(),
			'x-shopify-triggered-at': new Date().toISOString(),
			'x-shopify-shop-domain': 'your-shop.myshopify.com',
			'x-shopify-api-version': '2025-01',
		},
	};
}

/** Posts a delivery; answers the status and the parsed JSON reply. */
export async function sendShopifyWebhook(
	url: string,
	delivery: ShopifyDelivery,
): Promise<{ status: number; body: unknown }> {
	const response = await fetch(url, {
		method: 'POST',
		headers: delivery.headers,
		body: delivery.body,
	});
	const text = await response.text();
	let body: unknown = text;
	try {
		body = JSON.parse(text) as unknown;
	} catch {
		// Not JSON: kept as text.
	}
	return { status: response.status, body };
}
