import {
	PAGINATION_ROUTES,
	startMockChangesApi,
	type ChangeRecord,
	type MockChangesApi,
	type PaginationRoute,
} from './mockChangesApi';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** 14 records over 5 timestamps; with 4 a page, the ties at +2 s and +3 s straddle page edges. */
const STAMPS = [0, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4];
const DATASET = STAMPS.map((seconds, index) => ({
	id: `rec-${String(13 - index).padStart(2, '0')}`,
	updatedAt: at(seconds),
	name: `Record ${index}`,
}));
const PAGE_SIZE = 4;

interface Walk {
	records: ChangeRecord[];
	pages: number;
}

/** A client that follows each route's own next-page convention until the API says it is done. */
async function walk(api: MockChangesApi, route: PaginationRoute, query: Record<string, string> = {}): Promise<Walk> {
	const get = async (url: string) => {
		const response = await fetch(url.startsWith('http') ? url : `${api.url}${url}`);
		expect(response.status).toBe(200);
		return { body: (await response.json()) as never, link: response.headers.get('link') };
	};
	const first = (params: Record<string, string>) =>
		`/changes/${route}?${new URLSearchParams({ ...query, ...params })}`;
	const records: ChangeRecord[] = [];
	let pages = 0;
	let next: string | null = first(route === 'page' ? { per_page: `${PAGE_SIZE}` } : { limit: `${PAGE_SIZE}` });
	while (next && pages < 50) {
		const { body, link } = await get(next);
		pages += 1;
		next = null;
		if (route === 'cursor') {
			const { data, next_cursor } = body as { data: ChangeRecord[]; next_cursor: string | null };
			records.push(...data);
			if (next_cursor) next = first({ limit: `${PAGE_SIZE}`, cursor: next_cursor });
		} else if (route === 'link') {
			records.push(...(body as ChangeRecord[]));
			next = /<([^>]+)>;\s*rel="next"/.exec(link ?? '')?.[1] ?? null;
		} else if (route === 'next-url') {
			const page = body as { items: ChangeRecord[]; next: string | null };
			records.push(...page.items);
			next = page.next;
		} else if (route === 'offset') {
			const page = body as { results: ChangeRecord[]; total: number };
			records.push(...page.results);
			if (records.length < page.total) next = first({ limit: `${PAGE_SIZE}`, offset: `${records.length}` });
		} else if (route === 'page') {
			const page = body as { records: ChangeRecord[]; has_more: boolean };
			records.push(...page.records);
			if (page.has_more) next = first({ per_page: `${PAGE_SIZE}`, page: `${pages + 1}` });
		} else {
			records.push(...(body as ChangeRecord[]));
		}
	}
	return { records, pages };
}

const ids = (records: ChangeRecord[]) => records.map(({ id }) => id);

describe('mock changes API', () => {
	let api: MockChangesApi;

	beforeEach(async () => {
		api = await startMockChangesApi({ records: DATASET, clock: at(10) });
	});
	afterEach(async () => {
		await api.close();
	});

	it.each(PAGINATION_ROUTES)('%s: walks every record once, ordered by (updatedAt, id)', async (route) => {
		const { records, pages } = await walk(api, route);

		expect(ids(records)).toEqual(ids(api.records()));
		expect(new Set(ids(records)).size).toBe(DATASET.length);
		expect(pages).toBe(route === 'none' ? 1 : Math.ceil(DATASET.length / PAGE_SIZE));
	});

	it('orders ties by id, so the fixture\'s ties straddle page edges', () => {
		const records = api.records();

		expect(ids(records.slice(0, PAGE_SIZE + 1))).toEqual(['rec-13', 'rec-12', 'rec-07', 'rec-08', 'rec-09']);
		expect(records[PAGE_SIZE - 1].updatedAt).toBe(records[PAGE_SIZE].updatedAt);
		expect(records[2 * PAGE_SIZE - 1].updatedAt).toBe(records[2 * PAGE_SIZE].updatedAt);
	});

	it.each(PAGINATION_ROUTES)('%s: updated_since keeps records at or after it', async (route) => {
		const { records } = await walk(api, route, { updated_since: at(3) });

		expect(ids(records)).toEqual(ids(api.records().filter(({ updatedAt }) => updatedAt >= at(3))));
	});

	it('reads updated_since as epoch seconds, epoch ms or ISO with an offset', async () => {
		const expected = ids(api.records().filter(({ updatedAt }) => updatedAt >= at(4)));
		const epochSeconds = String((T0 + 4000) / 1000);
		const withOffset = '2026-01-01T02:00:04+02:00';

		for (const since of [epochSeconds, String(T0 + 4000), withOffset])
			expect(ids((await walk(api, 'none', { updated_since: since })).records)).toEqual(expected);
	});

	it('keyset walks leave writes stamped after their first page to the next poll', async () => {
		const firstPage = await fetch(`${api.url}/changes/cursor?limit=${PAGE_SIZE}`);
		const { next_cursor } = (await firstPage.json()) as { next_cursor: string };
		api.advanceClock(1000);
		api.update('rec-13', { name: 'changed' });
		api.insert({ id: 'rec-new' });

		const rest = await fetch(`${api.url}/changes/cursor?${new URLSearchParams({ cursor: next_cursor })}`);
		const { data } = (await rest.json()) as { data: ChangeRecord[] };

		expect(ids(data)).not.toContain('rec-13');
		expect(ids(data)).not.toContain('rec-new');
		expect(ids((await walk(api, 'cursor', { updated_since: at(11) })).records)).toEqual(['rec-13', 'rec-new']);
	});

	it('update stamps the clock and keeps the other fields', () => {
		api.setClock(at(20));

		expect(api.update('rec-00', { status: 'paid' })).toEqual({
			id: 'rec-00',
			updatedAt: at(20),
			name: 'Record 13',
			status: 'paid',
		});
	});

	it('insertLate takes only writes stamped before the clock', () => {
		api.insertLate({ id: 'late', updatedAt: at(1) });

		expect(ids(api.records()).slice(0, 3)).toEqual(['rec-13', 'late', 'rec-12']);
		expect(() => api.insertLate({ id: 'early', updatedAt: at(10) })).toThrow('at or after the clock');
	});

	it('writes updatedAt with the configured offset and still orders by instant', async () => {
		const offsetApi = await startMockChangesApi({ timezone: '+02:00', clock: T0 });
		try {
			offsetApi.insert([
				{ id: 'b', updatedAt: '2026-01-01T00:00:01Z' },
				{ id: 'a', updatedAt: '2026-01-01T00:00:02+02:00' },
			]);

			expect(offsetApi.records()).toEqual([
				{ id: 'a', updatedAt: '2026-01-01T00:00:02.000+02:00' },
				{ id: 'b', updatedAt: '2026-01-01T02:00:01.000+02:00' },
			]);
		} finally {
			await offsetApi.close();
		}
	});

	it.each([
		[429, 3],
		[500, undefined],
		[503, 7],
	])('failNext(2, %i) answers the next two requests with it, then serves', async (status, retryAfter) => {
		api.failNext(2, status, { retryAfter });

		const answers = [];
		for (let index = 0; index < 3; index++) answers.push(await fetch(`${api.url}/changes/none`));

		expect(answers.map((answer) => answer.status)).toEqual([status, status, 200]);
		expect(answers[0].headers.get('retry-after')).toBe(retryAfter === undefined ? null : String(retryAfter));
		expect(api.requests.map((request) => request.served)).toEqual([0, 0, DATASET.length]);
	});

	it('notJson: one truncated body, then good JSON', async () => {
		api.malformNext('notJson');

		const broken = await (await fetch(`${api.url}/changes/cursor`)).text();

		expect(() => JSON.parse(broken)).toThrow('JSON');
		expect((await fetch(`${api.url}/changes/cursor`)).status).toBe(200);
	});

	it.each([
		['cursor', {}],
		['link', {}],
		['offset', { total: DATASET.length }],
	] as const)('missingRecords on %s drops the records field once', async (route, expected) => {
		api.malformNext('missingRecords');

		const body = await (await fetch(`${api.url}/changes/${route}?limit=100`)).json();
		const again = await (await fetch(`${api.url}/changes/${route}?limit=100`)).json();

		expect(body).toEqual(route === 'cursor' ? { next_cursor: null } : expected);
		expect(JSON.stringify(again)).toContain('rec-00');
	});

	it('badCursorField breaks every updatedAt on one page', async () => {
		api.malformNext('badCursorField');

		const { data } = (await (await fetch(`${api.url}/changes/cursor`)).json()) as { data: ChangeRecord[] };

		expect(new Set(data.map(({ updatedAt }) => updatedAt))).toEqual(new Set(['not-a-date']));
	});

	it('badNextToken hands out a cursor the API then refuses with 400', async () => {
		api.malformNext('badNextToken');

		const { next_cursor } = (await (await fetch(`${api.url}/changes/cursor?limit=2`)).json()) as {
			next_cursor: string;
		};
		const refused = await fetch(`${api.url}/changes/cursor?${new URLSearchParams({ cursor: next_cursor })}`);

		expect(refused.status).toBe(400);
		expect(await refused.json()).toEqual({ error: expect.stringContaining('not one this API issued') });
	});

	it('answers 400 for an updated_since it cannot read', async () => {
		const response = await fetch(`${api.url}/changes/offset?updated_since=yesterday`);

		expect(response.status).toBe(400);
	});
});

describe('mock changes API shaped like a given ERP', () => {
	it('serves its routes under pathPrefix and names the cursor field cursorField', async () => {
		const api = await startMockChangesApi({
			records: DATASET,
			clock: at(10),
			pathPrefix: '/api/sales-orders',
			cursorField: 'updated_at',
		});
		try {
			const unprefixed = await fetch(`${api.url}/changes`);
			const response = await fetch(`${api.url}/api/sales-orders/changes?updated_since=${at(4)}`);
			const { data } = (await response.json()) as { data: Array<Record<string, unknown>> };

			expect([unprefixed.status, response.status]).toEqual([404, 200]);
			expect(data.map(({ id }) => id)).toEqual(['rec-00', 'rec-01']);
			expect(data[0]).toEqual({ id: 'rec-00', name: 'Record 13', updated_at: at(4) });
			expect(api.records()[0].updatedAt).toBe(at(0));
		} finally {
			await api.close();
		}
	});
});

describe('mock changes API auth', () => {
	it('bearer: 401 without the token, 200 with it, and the log shows what was sent', async () => {
		const api = await startMockChangesApi({ auth: { bearer: 's3cret' }, records: DATASET });
		try {
			const without = await fetch(`${api.url}/changes/none`);
			const wrong = await fetch(`${api.url}/changes/none`, { headers: { authorization: 'Bearer nope' } });
			const right = await fetch(`${api.url}/changes/none`, { headers: { authorization: 'Bearer s3cret' } });

			expect([without.status, wrong.status, right.status]).toEqual([401, 401, 200]);
			expect(api.requests.map(({ headers }) => headers.authorization)).toEqual([
				undefined,
				'Bearer nope',
				'Bearer s3cret',
			]);
		} finally {
			await api.close();
		}
	});

	it('header: 401 without the header; a 401 does not use up an injected fault', async () => {
		const api = await startMockChangesApi({ auth: { header: 'X-Api-Key', value: 'k1' } });
		try {
			api.failNext(1, 503);

			const without = await fetch(`${api.url}/changes/none`);
			const faulted = await fetch(`${api.url}/changes/none`, { headers: { 'x-api-key': 'k1' } });
			const served = await fetch(`${api.url}/changes/none`, { headers: { 'x-api-key': 'k1' } });

			expect([without.status, faulted.status, served.status]).toEqual([401, 503, 200]);
		} finally {
			await api.close();
		}
	});
});

describe('mock changes API: capped responses and the tie-break parameter', () => {
	let api: MockChangesApi;
	const TIES = ['t1', 't2', 't3', 't4'].map((id) => ({ id, updatedAt: at(5) }));

	beforeEach(async () => {
		api = await startMockChangesApi({
			records: [...TIES, { id: 'later', updatedAt: at(6) }],
			clock: at(60),
			responseLimit: 3,
			tieBreakParam: 'after_id',
		});
	});

	afterEach(async () => {
		await api.close();
	});

	const ids = async (query: string) =>
		((await (await fetch(`${api.url}/changes/none?${query}`)).json()) as ChangeRecord[]).map(
			({ id }) => id,
		);

	it('answers at most responseLimit records on route none, with no next link', async () => {
		expect(await ids(`updated_since=${at(5)}`)).toEqual(['t1', 't2', 't3']);
	});

	it('answers only records after (updated_since, after_id)', async () => {
		expect(await ids(`updated_since=${at(5)}&after_id=t3`)).toEqual(['t4', 'later']);
	});

	it('logs the body of a POST request', async () => {
		await fetch(`${api.url}/changes/none`, { method: 'POST', body: '{"scope":"all"}' });

		expect(api.requests[0]).toMatchObject({ method: 'POST', status: 200, body: '{"scope":"all"}' });
	});
});
