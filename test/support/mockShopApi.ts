import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { listenLocally } from './localServer';
import { recordRequest, type RequestRecord } from './requestRecord';

/**
 * A Shopify shop on 127.0.0.1 for the order templates' tests, answering in the shapes of Shopify's
 * Admin API (REST for orders and customers, GraphQL for order risk), plus the merchant's own
 * approval system the templates post to. In-memory orders; every request and every approval is
 * recorded; a helper signs webhook deliveries as Shopify does. It knows nothing about n8n.
 *
 * Shopify routes (JSON; 401 without `X-Shopify-Access-Token` when a token is set), under
 * /admin/api/<version>/:
 *   GET  orders.json         `{ orders }` ordered by (updated_at, id); filters `created_at_min`,
 *                            `updated_at_min` (inclusive, ISO 8601), `status`, `limit` (capped at
 *                            `maxLimit`); the next page is in `Link: <…?limit=…&page_info=…>;
 *                            rel="next"`. As Shopify, a request with `page_info` may carry only
 *                            `limit` and `fields` beside it: any other parameter is a 400.
 *   GET  orders/:id.json     `{ order }`: `total_price` a decimal string, `currency`, `customer.id`
 *                            (no `orders_count` there since 2022-04, no risk: REST order risks are
 *                            deprecated since 2024-04)
 *   GET  customers/:id.json  `{ customer: { id, orders_count, ... } }`
 *   POST graphql.json        the `order(id:) { risk { recommendation assessments { riskLevel } } }`
 *                            query only, with `variables.id` a `gid://shopify/Order/<id>`
 * The approval system (not Shopify; `Authorization: Bearer <approvalToken>` when one is set):
 *   POST /api/approvals      `{ orderId, branch, ... }` -> 201 `{ id, orderId, branch }`; recorded
 */

/** Shopify's `OrderRiskRecommendationResult` (GraphQL Admin API, `order.risk.recommendation`). */
export type RiskRecommendation = 'ACCEPT' | 'INVESTIGATE' | 'CANCEL' | 'NONE';
export type ApprovalBranch = 'auto' | 'manager' | 'finance';

const BRANCHES: readonly ApprovalBranch[] = ['auto', 'manager', 'finance'];
/** The riskLevel Shopify's assessments carry for each recommendation in these tests. */
const RISK_LEVELS: Record<RiskRecommendation, string> = {
	ACCEPT: 'LOW',
	INVESTIGATE: 'MEDIUM',
	CANCEL: 'HIGH',
	NONE: 'NONE',
};
/** Beside `page_info`, Shopify accepts only these parameters. */
const PAGE_INFO_COMPANIONS = new Set(['page_info', 'limit', 'fields']);
const SHOPIFY_PATH = /^\/admin\/api\/(\d{4}-\d{2}|unstable)\/(.+)$/;

/** An order as the shop holds it: Shopify's fields the templates read, and its risk verdict. */
export interface ShopOrder {
	id: number;
	name: string;
	/** A decimal string, as Shopify sends money. Missing on an order the routing must not guess. */
	total_price?: string;
	currency: string;
	riskRecommendation: RiskRecommendation;
	customer: { id: number; orders_count: number };
	created_at: string;
	updated_at: string;
}

/** An order as Shopify's REST Admin API and its orders/create webhook carry it. */
export interface RestOrder {
	id: number;
	admin_graphql_api_id: string;
	name: string;
	total_price?: string;
	currency: string;
	customer: { id: number; admin_graphql_api_id: string };
	line_items: Array<Record<string, unknown>>;
	created_at: string;
	updated_at: string;
}

export interface RecordedApproval {
	orderId: string;
	branch: ApprovalBranch;
	body: Record<string, unknown>;
	at: number;
}

export interface ShopRequest extends RequestRecord {
	/** The path without the Admin API version, e.g. `orders.json`, or `/api/approvals`. */
	route: string;
	/** The IDs of the orders a list answer carried; empty for other routes. */
	served: number[];
}

export interface MockShopApiOptions {
	orders?: ShopOrder[];
	/** Shopify requests without `X-Shopify-Access-Token: <accessToken>` get 401. Default: no check. */
	accessToken?: string;
	/** Approval posts without `Authorization: Bearer <approvalToken>` get 401. Default: no check. */
	approvalToken?: string;
	/** Page size when the request names none. Default 50, as Shopify. */
	defaultLimit?: number;
	/** Larger requested page sizes are cut to this, so tests see several pages. Default 250. */
	maxLimit?: number;
}

export interface MockShopApi {
	/** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
	url: string;
	insert(orders: ShopOrder | ShopOrder[]): void;
	order(id: number): ShopOrder;
	/** The order as the REST API and the orders/create webhook carry it. */
	restOrder(id: number): RestOrder;
	/** Approvals answered 201, in arrival order. */
	readonly approvals: RecordedApproval[];
	/** Every request with the status it got. */
	readonly requests: ShopRequest[];
	/** The next `count` approval posts for this order answer `status` (and are not recorded). */
	failApprovals(orderId: string, count: number, status?: number): void;
	/** The next `count` requests for this order (REST `orders/<id>.json`) answer `status`. */
	failOrderLookups(orderId: number, count: number, status?: number): void;
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

/** A 400 with Shopify's error body: `{ errors: { <param>: <message> } }` or a plain message. */
class BadRequest extends Error {
	constructor(
		message: string,
		readonly parameter?: string,
	) {
		super(message);
	}
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 250;

const orderGid = (id: number) => `gid://shopify/Order/${id}`;

export function asRestOrder(order: ShopOrder): RestOrder {
	const { id, name, total_price, currency, customer, created_at, updated_at } = order;
	return {
		id,
		admin_graphql_api_id: orderGid(id),
		name,
		total_price,
		currency,
		customer: { id: customer.id, admin_graphql_api_id: `gid://shopify/Customer/${customer.id}` },
		line_items: [{ sku: `SKU-${id % 97}`, quantity: 1, price: total_price }],
		created_at,
		updated_at,
	};
}

function parseTime(text: string, what: string): number {
	const ms = Date.parse(text);
	if (Number.isNaN(ms)) throw new BadRequest(`${what} is not a date: "${text}"`, what);
	return ms;
}

function readLimit(text: string | null, defaultLimit: number, maxLimit: number): number {
	if (text === null || text === '') return defaultLimit;
	const limit = Number(text);
	if (!Number.isInteger(limit) || limit < 1)
		throw new BadRequest(`limit must be >= 1, got "${text}"`, 'limit');
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
	throw new BadRequest(`page_info is not one this API issued: "${text}"`, 'page_info');
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
	const lookupFailures = new Map<number, { count: number; status: number }>();
	let origin = '';

	const updatedMs = (order: ShopOrder) => Date.parse(order.updated_at);
	const inKeyOrder = () =>
		[...byId.values()].sort((a, b) => updatedMs(a) - updatedMs(b) || a.id - b.id);

	function listPage(url: URL): Answer {
		const query = url.searchParams;
		const pageInfo = query.get('page_info');
		if (pageInfo !== null) {
			const extra = [...query.keys()].find((name) => !PAGE_INFO_COMPANIONS.has(name));
			if (extra) throw new BadRequest(`${extra} cannot be passed when page_info is present`, extra);
		}
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
			headers.link = `<${origin}${url.pathname}?limit=${token.limit}&page_info=${next}>; rel="next"`;
		}
		return {
			status: 200,
			body: { orders: page.map(asRestOrder) },
			headers,
			served: page.map((order) => order.id),
		};
	}

	/** Shopify's GraphQL answer to the order risk query; `order: null` for an unknown ID. */
	function orderRisk(body: unknown): Answer {
		const { query, variables } = (body ?? {}) as { query?: string; variables?: { id?: string } };
		if (typeof query !== 'string' || !/\border\s*\(\s*id:/.test(query) || !query.includes('risk'))
			throw new BadRequest('this shop answers only the order risk query');
		const id = /^gid:\/\/shopify\/Order\/(\d+)$/.exec(variables?.id ?? '')?.[1];
		if (!id) throw new BadRequest(`variables.id must be an order GID, got "${variables?.id}"`);
		const order = byId.get(Number(id));
		const risk = order && {
			recommendation: order.riskRecommendation,
			assessments: [{ riskLevel: RISK_LEVELS[order.riskRecommendation] }],
		};
		return {
			status: 200,
			body: { data: { order: order ? { id: orderGid(order.id), risk } : null } },
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

	async function answerShopify(request: IncomingMessage, url: URL, route: string): Promise<Answer> {
		if (options.accessToken && request.headers['x-shopify-access-token'] !== options.accessToken)
			return { status: 401, body: { errors: '[API] Invalid API key or access token' } };
		const method = request.method ?? 'GET';
		if (method === 'GET' && route === 'orders.json') return listPage(url);
		const orderMatch = /^orders\/(\d+)\.json$/.exec(route);
		if (method === 'GET' && orderMatch) {
			const failure = lookupFailures.get(Number(orderMatch[1]));
			if (failure && failure.count > 0) {
				failure.count -= 1;
				return { status: failure.status, body: { errors: `Injected ${failure.status}` } };
			}
			const order = byId.get(Number(orderMatch[1]));
			if (!order) return { status: 404, body: { errors: 'Not Found' } };
			return { status: 200, body: { order: asRestOrder(order) } };
		}
		const customerMatch = /^customers\/(\d+)\.json$/.exec(route);
		if (method === 'GET' && customerMatch) {
			const id = Number(customerMatch[1]);
			const order = [...byId.values()].find((candidate) => candidate.customer.id === id);
			if (!order) return { status: 404, body: { errors: 'Not Found' } };
			return { status: 200, body: { customer: { ...order.customer, state: 'enabled' } } };
		}
		if (method === 'POST' && route === 'graphql.json') return orderRisk(await readBody(request));
		return { status: 404, body: { errors: 'Not Found' } };
	}

	async function answer(request: IncomingMessage, url: URL, route: string): Promise<Answer> {
		if (SHOPIFY_PATH.test(url.pathname)) return await answerShopify(request, url, route);
		if (request.method === 'POST' && url.pathname === '/api/approvals') {
			if (
				options.approvalToken &&
				request.headers.authorization !== `Bearer ${options.approvalToken}`
			)
				return { status: 401, body: { error: 'approval system token missing or wrong' } };
			return recordApproval(await readBody(request));
		}
		return { status: 404, body: { errors: `No route ${request.method} ${url.pathname}` } };
	}

	function handle(request: IncomingMessage, response: ServerResponse): void {
		const url = new URL(request.url ?? '/', origin);
		const route = SHOPIFY_PATH.exec(url.pathname)?.[2] ?? url.pathname;
		const send = ({ status, body, headers = {}, served = [] }: Answer) => {
			response.writeHead(status, { 'content-type': 'application/json', ...headers });
			response.end(JSON.stringify(body));
			requests.push({ ...recordRequest(request, url, status), route, served });
		};
		answer(request, url, route).then(send, (error: unknown) =>
			send(
				error instanceof BadRequest
					? {
							status: 400,
							body: {
								errors: error.parameter ? { [error.parameter]: error.message } : error.message,
							},
						}
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
		restOrder: (id) => asRestOrder(api.order(id)),
		approvals,
		requests,
		failApprovals(orderId, count, status = 503) {
			failures.set(orderId, { count, status });
		},
		failOrderLookups(orderId, count, status = 503) {
			lookupFailures.set(orderId, { count, status });
		},
		close: listening.close,
	};
	if (options.orders) api.insert(options.orders);
	return api;
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
 * `count` orders in EUR placed one every `stepMs` from `startMs`, with totals from 20 to 1,200; one
 * in ten Shopify recommends cancelling, two in ten investigating, and one in five comes from a
 * first-time customer: every approval rule gets its share.
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
			total_price: (20 + random() * 1180).toFixed(2),
			currency: 'EUR',
			riskRecommendation: riskDraw < 0.1 ? 'CANCEL' : riskDraw < 0.3 ? 'INVESTIGATE' : 'ACCEPT',
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
