import { verifyShopifySignature } from '../../lib/signatures';
import {
	sampleOrders,
	shopifyDelivery,
	startMockShopApi,
	summarize,
	type MockShopApi,
	type OrderSummary,
	type ShopOrder,
} from './mockShopApi';

const T0 = Date.parse('2026-03-01T08:00:00.000Z');
const TOKEN = 'shpat_test_token';

describe('mock shop API', () => {
	let shop: MockShopApi;
	let orders: ShopOrder[];

	const get = async (path: string, token: string | null = TOKEN) => {
		const response = await fetch(path.startsWith('http') ? path : `${shop.url}${path}`, {
			headers: token ? { 'x-shopify-access-token': token } : {},
		});
		return {
			status: response.status,
			body: (await response.json()) as Record<string, unknown>,
			link: response.headers.get('link'),
		};
	};
	const post = async (body: unknown) =>
		await fetch(`${shop.url}/api/approvals`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-shopify-access-token': TOKEN },
			body: JSON.stringify(body),
		});
	/** Follows the Link header as a client does; answers the ids in the order served and the pages. */
	const walk = async (query: string) => {
		const ids: number[] = [];
		let pages = 0;
		let next: string | null = `/api/orders?${query}`;
		while (next) {
			const page = await get(next);
			expect(page.status).toBe(200);
			ids.push(...(page.body.orders as OrderSummary[]).map((order) => order.id));
			pages += 1;
			next = /<([^>]+)>;\s*rel="next"/.exec(page.link ?? '')?.[1] ?? null;
		}
		return { ids, pages };
	};

	beforeEach(async () => {
		// 12 orders a minute apart; two share a timestamp to test the keyset tie-break.
		orders = sampleOrders(12, { startMs: T0, stepMs: 60_000 });
		orders[6] = { ...orders[6], updated_at: orders[5].updated_at };
		shop = await startMockShopApi({ orders, accessToken: TOKEN, maxLimit: 5 });
	});

	afterEach(async () => {
		await shop.close();
	});

	it('answers 401 without the access token', async () => {
		expect((await get('/api/orders', null)).status).toBe(401);
		expect((await get('/api/orders', 'wrong')).status).toBe(401);
	});

	it('pages through every order once, in (updated_at, id) order, with the limit capped', async () => {
		const { ids, pages } = await walk('status=any&limit=100');

		expect(ids).toEqual(orders.map((order) => order.id));
		expect(pages).toBe(3);
		expect(shop.requests.flatMap((request) => request.served)).toEqual(ids);
	});

	it('filters by updated_at_min and created_at_min, inclusively, across pages', async () => {
		const since = orders[4].updated_at;

		expect((await walk(`updated_at_min=${since}&limit=2`)).ids).toEqual(
			orders.slice(4).map((order) => order.id),
		);
		expect((await walk(`created_at_min=${orders[9].created_at}`)).ids).toEqual(
			orders.slice(9).map((order) => order.id),
		);
	});

	it('lists summaries without risk or customer history', async () => {
		const { body } = await get('/api/orders?limit=1');

		expect(body.orders).toEqual([summarize(orders[0])]);
		expect((body.orders as Array<Record<string, unknown>>)[0]).not.toHaveProperty('risk');
	});

	it('answers 400 for a page_info it did not issue and for a bad date', async () => {
		expect((await get('/api/orders?page_info=garbage')).status).toBe(400);
		expect((await get('/api/orders?updated_at_min=yesterday')).status).toBe(400);
	});

	it('serves the full order with its risk, and the customer with its order count', async () => {
		const order = orders[3];

		expect((await get(`/api/orders/${order.id}`)).body.order).toMatchObject({
			id: order.id,
			risk: order.risk,
			total: order.total,
		});
		expect((await get(`/api/customers/${order.customer.id}`)).body.customer).toMatchObject({
			id: order.customer.id,
			orders_count: order.customer.orders_count,
		});
		expect((await get('/api/orders/1')).status).toBe(404);
		expect((await get('/api/customers/1')).status).toBe(404);
	});

	it('records approvals, refuses an unknown branch, and fails the ones it was told to', async () => {
		shop.failApprovals('42', 1, 502);

		expect((await post({ orderId: '41', branch: 'manager' })).status).toBe(201);
		expect((await post({ orderId: '41', branch: 'ceo' })).status).toBe(400);
		expect((await post({ orderId: '42', branch: 'auto' })).status).toBe(502);
		const retried = await post({ orderId: '42', branch: 'auto' });

		expect(retried.status).toBe(201);
		expect(await retried.json()).toEqual({ id: 'apr_2', orderId: '42', branch: 'auto' });
		expect(shop.approvals.map(({ orderId, branch }) => ({ orderId, branch }))).toEqual([
			{ orderId: '41', branch: 'manager' },
			{ orderId: '42', branch: 'auto' },
		]);
		expect(shop.requests.map((request) => request.status)).toEqual([201, 400, 502, 201]);
	});

	it('generates the same orders from the same seed, with every approval rule represented', () => {
		const many = sampleOrders(200, { startMs: T0, seed: 7 });

		expect(sampleOrders(200, { startMs: T0, seed: 7 })).toEqual(many);
		expect(many.some((order) => order.risk === 'high')).toBe(true);
		expect(many.some((order) => order.customer.orders_count <= 1)).toBe(true);
		expect(many.some((order) => Number(order.total) >= 500)).toBe(true);
		expect(many.some((order) => Number(order.total) < 500)).toBe(true);
	});
});

describe('shopifyDelivery', () => {
	const SECRET = 'shpss_0123456789abcdef';
	const verify = (delivery: ReturnType<typeof shopifyDelivery>, secret = SECRET) =>
		verifyShopifySignature(
			{
				rawBody: Buffer.from(delivery.body),
				headers: delivery.headers,
				method: 'POST',
				url: 'https://n8n.example.com/webhook/shop-orders',
			},
			{ secrets: [secret], toleranceSeconds: 300, nowSeconds: Date.now() / 1000 },
		);

	it("signs the raw body as Shopify does: our verifier accepts it, and refuses another secret's", () => {
		const delivery = shopifyDelivery({ id: 1 }, SECRET, { eventId: 'evt-1' });

		expect(() => verify(delivery)).not.toThrow();
		expect(() => verify(delivery, 'another')).toThrow(/signature/i);
		expect(delivery.headers).toMatchObject({
			'x-shopify-topic': 'orders/create',
			'x-shopify-event-id': 'evt-1',
		});
	});

	it('keeps the event id across retries and gives each delivery its own webhook id', () => {
		const first = shopifyDelivery({ id: 1 }, SECRET, { eventId: 'evt-1' });
		const retry = shopifyDelivery({ id: 1 }, SECRET, { eventId: 'evt-1' });

		expect(retry.headers['x-shopify-event-id']).toBe(first.headers['x-shopify-event-id']);
		expect(retry.headers['x-shopify-webhook-id']).not.toBe(first.headers['x-shopify-webhook-id']);
		expect(retry.headers['x-shopify-hmac-sha256']).toBe(first.headers['x-shopify-hmac-sha256']);
	});
});
