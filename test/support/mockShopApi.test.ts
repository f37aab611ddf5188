import { verifyShopifySignature } from '../../lib/signatures';
import {
	asRestOrder,
	sampleOrders,
	shopifyDelivery,
	startMockShopApi,
	type MockShopApi,
	type RestOrder,
	type ShopOrder,
} from './mockShopApi';

const T0 = Date.parse('2026-03-01T08:00:00.000Z');
const TOKEN = 'shpat_test_token';
const APPROVAL_TOKEN = 'approval_test_token';
const ADMIN = '/admin/api/2026-10';

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
	const post = async (body: unknown, token = APPROVAL_TOKEN) =>
		await fetch(`${shop.url}/api/approvals`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
			body: JSON.stringify(body),
		});
	const graphql = async (body: unknown) => {
		const response = await fetch(`${shop.url}${ADMIN}/graphql.json`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-shopify-access-token': TOKEN },
			body: JSON.stringify(body),
		});
		return { status: response.status, body: (await response.json()) as Record<string, unknown> };
	};
	const RISK_QUERY = 'query OrderRisk($id: ID!) { order(id: $id) { risk { recommendation } } }';
	/** Follows the Link header as a client does; answers the ids in the order served and the pages. */
	const walk = async (query: string) => {
		const ids: number[] = [];
		let pages = 0;
		let next: string | null = `${ADMIN}/orders.json?${query}`;
		while (next) {
			const page = await get(next);
			expect(page.status).toBe(200);
			ids.push(...(page.body.orders as RestOrder[]).map((order) => order.id));
			pages += 1;
			next = /<([^>]+)>;\s*rel="next"/.exec(page.link ?? '')?.[1] ?? null;
		}
		return { ids, pages };
	};

	beforeEach(async () => {
		// 12 orders a minute apart; two share a timestamp to test the keyset tie-break.
		orders = sampleOrders(12, { startMs: T0, stepMs: 60_000 });
		orders[6] = { ...orders[6], updated_at: orders[5].updated_at };
		shop = await startMockShopApi({
			orders,
			accessToken: TOKEN,
			approvalToken: APPROVAL_TOKEN,
			maxLimit: 5,
		});
	});

	afterEach(async () => {
		await shop.close();
	});

	it('answers 401 without the access token', async () => {
		expect((await get(`${ADMIN}/orders.json`, null)).status).toBe(401);
		expect((await get(`${ADMIN}/orders.json`, 'wrong')).status).toBe(401);
		expect((await post({ orderId: '41', branch: 'auto' }, 'wrong')).status).toBe(401);
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

	it("lists orders in Shopify's REST shape: total_price a string, no risk, no customer history", async () => {
		const { body } = await get(`${ADMIN}/orders.json?limit=1`);
		const [listed] = body.orders as RestOrder[];

		expect(listed).toEqual(asRestOrder(orders[0]));
		expect(typeof listed.total_price).toBe('string');
		expect(listed).not.toHaveProperty('risk');
		expect(listed.customer).not.toHaveProperty('orders_count');
	});

	it('answers 400 for a page_info it did not issue and for a bad date', async () => {
		expect((await get(`${ADMIN}/orders.json?page_info=garbage`)).status).toBe(400);
		expect((await get(`${ADMIN}/orders.json?updated_at_min=yesterday`)).status).toBe(400);
	});

	it('refuses a next page that carries a parameter besides page_info, limit and fields, as Shopify', async () => {
		const first = await get(
			`${ADMIN}/orders.json?status=any&limit=5&created_at_min=${orders[0].created_at}`,
		);
		const next = /<([^>]+)>;\s*rel="next"/.exec(first.link ?? '')![1];

		expect(new URL(next).searchParams.get('created_at_min')).toBeNull();
		expect((await get(`${next}&fields=id`)).status).toBe(200);
		const withFilter = await get(`${next}&created_at_min=${orders[0].created_at}`);
		expect(withFilter).toMatchObject({
			status: 400,
			body: {
				errors: { created_at_min: 'created_at_min cannot be passed when page_info is present' },
			},
		});
		expect((await get(`${next}&status=any`)).status).toBe(400);
	});

	it('serves the order, and the customer with its order count', async () => {
		const order = orders[3];

		expect((await get(`${ADMIN}/orders/${order.id}.json`)).body.order).toEqual(asRestOrder(order));
		expect((await get(`${ADMIN}/customers/${order.customer.id}.json`)).body.customer).toMatchObject(
			{
				id: order.customer.id,
				orders_count: order.customer.orders_count,
			},
		);
		expect((await get(`${ADMIN}/orders/1.json`)).status).toBe(404);
		expect((await get(`${ADMIN}/customers/1.json`)).status).toBe(404);
	});

	it("answers the GraphQL order risk query with Shopify's recommendation, and null for an unknown order", async () => {
		const order = orders[3];
		const risk = await graphql({
			query: RISK_QUERY,
			variables: { id: `gid://shopify/Order/${order.id}` },
		});

		expect(risk).toEqual({
			status: 200,
			body: {
				data: {
					order: {
						id: `gid://shopify/Order/${order.id}`,
						risk: {
							recommendation: order.riskRecommendation,
							assessments: [{ riskLevel: expect.any(String) }],
						},
					},
				},
			},
		});
		expect(
			(await graphql({ query: RISK_QUERY, variables: { id: 'gid://shopify/Order/1' } })).body,
		).toEqual({ data: { order: null } });
		expect((await graphql({ query: RISK_QUERY, variables: { id: String(order.id) } })).status).toBe(
			400,
		);
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
		for (const recommendation of ['ACCEPT', 'INVESTIGATE', 'CANCEL'])
			expect(many.some((order) => order.riskRecommendation === recommendation)).toBe(true);
		expect(many.some((order) => order.customer.orders_count <= 1)).toBe(true);
		expect(many.some((order) => Number(order.total_price) >= 500)).toBe(true);
		expect(many.some((order) => Number(order.total_price) < 500)).toBe(true);
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
