import type { CursorState } from '../../../lib/poll/contracts';
import { PollResponseError } from '../../../lib/poll/errors';
import {
	initialCursorState,
	type PageRequest,
	type PageResponse,
	type PollConfig,
	type PollDependencies,
	pollOnce,
	type PollResult,
	UpstreamError,
} from '../../../lib/poll/pollCycle';
import {
	type MockChangesApi,
	type PaginationRoute,
	startMockChangesApi,
} from '../../support/mockChangesApi';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => T0 + seconds * 1000;
/** Polls run an hour after the dataset, so the safety margin never holds the boundary back. */
const POLL_TIME = at(3600);
const PAGE_SIZE = 4;
const MAX_PAGES = 2;

/**
 * 14 records over 5 timestamps. With pages of 4 the tie at +2 s straddles a page edge and, with
 * 2 pages a poll, the tie at +3 s straddles the poll edge (8 records).
 */
const STAMPS = [0, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4];
const DATASET = STAMPS.map((seconds, index) => ({
	id: `rec-${String(index).padStart(2, '0')}`,
	updatedAt: at(seconds),
	name: `Record ${index}`,
}));
const ALL_IDS = DATASET.map(({ id }) => id);

/** How each mock route pages, as a user would configure the node for it. */
const ROUTES: Record<
	PaginationRoute,
	Pick<PollConfig, 'recordsPath' | 'pagination'> & { query: Record<string, string> }
> = {
	cursor: {
		recordsPath: 'data',
		query: { limit: String(PAGE_SIZE) },
		pagination: {
			style: 'nextCursorField',
			config: { nextCursorPath: 'next_cursor', nextCursorParam: 'cursor' },
		},
	},
	link: {
		recordsPath: '',
		query: { limit: String(PAGE_SIZE) },
		pagination: { style: 'linkHeader', config: {} },
	},
	'next-url': {
		recordsPath: 'items',
		query: { limit: String(PAGE_SIZE) },
		pagination: { style: 'nextUrlField', config: { nextUrlPath: 'next' } },
	},
	offset: {
		recordsPath: 'results',
		query: {},
		pagination: {
			style: 'offset',
			config: { offsetParam: 'offset', limitParam: 'limit', pageSize: PAGE_SIZE },
		},
	},
	page: {
		recordsPath: 'records',
		query: {},
		pagination: {
			style: 'pageNumber',
			config: {
				pageParam: 'page',
				firstPage: 1,
				limitParam: 'per_page',
				pageSize: PAGE_SIZE,
				hasMorePath: 'has_more',
			},
		},
	},
	none: { recordsPath: '', query: {}, pagination: { style: 'none', config: {} } },
};

let api: MockChangesApi;
let nowMs: number;
let sleeps: number[];

/** The poll's clock and the API's move together, as the n8n host and the upstream server do. */
function setNow(ms: number): void {
	nowMs = ms;
	api.setClock(ms);
}

function configFor(route: PaginationRoute, overrides: Partial<PollConfig> = {}): PollConfig {
	const { query, ...paging } = ROUTES[route];
	return {
		request: { url: `${api.url}/changes/${route}`, method: 'GET', query, headers: {} },
		cursorParam: 'updated_since',
		cursorFormat: 'iso',
		cursorPath: 'updatedAt',
		idPath: 'id',
		kind: 'timestamp',
		maxPages: MAX_PAGES,
		lookbackMs: 0,
		safetyMarginMs: 5_000,
		retry: { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 60_000 },
		firstRun: { mode: 'backfillFrom', fromMs: T0 },
		...paging,
		...overrides,
	};
}

/** A real HTTP round trip, the query merged into the URL as n8n's request helper does. */
async function fetchPage(request: PageRequest): Promise<PageResponse> {
	const url = new URL(request.url);
	for (const [name, value] of Object.entries(request.query)) url.searchParams.set(name, value);
	const response = await fetch(url, { method: request.method, headers: request.headers });
	return {
		status: response.status,
		headers: Object.fromEntries(response.headers),
		body: await response.text(),
	};
}

const dependencies: PollDependencies = {
	fetchPage,
	sleep: async (ms) => {
		sleeps.push(ms);
	},
	now: () => nowMs,
};

/** Polls from `state` until a poll is not truncated, committing `next` after each like the node. */
async function drain(
	state: CursorState | undefined,
	config: PollConfig,
): Promise<{ ids: string[]; state: CursorState; polls: PollResult[] }> {
	const polls: PollResult[] = [];
	let current = state;
	do {
		polls.push(await pollOnce(current, config, dependencies));
		current = polls[polls.length - 1].next;
	} while (polls[polls.length - 1].truncated && polls.length < 20);
	return {
		ids: polls.flatMap((poll) => poll.envelopes.map(({ id }) => id)),
		state: current,
		polls,
	};
}

const ids = (result: PollResult) => result.envelopes.map(({ id }) => id);
const routeQueries = () =>
	api.requests.filter(({ path }) => path.startsWith('/changes')).map(({ query }) => query);

beforeEach(async () => {
	api = await startMockChangesApi({ records: DATASET, clock: POLL_TIME });
	nowMs = POLL_TIME;
	sleeps = [];
});

afterEach(async () => {
	await api.close();
});

describe('pollOnce pagination', () => {
	it.each(Object.keys(ROUTES) as PaginationRoute[])(
		'%s: walks the dataset across polls, emitting each record exactly once',
		async (route) => {
			const config = configFor(route);
			const { ids: emitted, polls } = await drain(initialCursorState(config, nowMs), config);

			expect(emitted).toEqual(ALL_IDS);
			expect(polls.map(({ stalled }) => stalled)).not.toContain(true);
			if (route !== 'none') expect(polls[0]).toMatchObject({ pages: 2, truncated: true });
		},
	);

	it.each(Object.keys(ROUTES) as PaginationRoute[])(
		'%s: a poll after the dataset was drained emits nothing',
		async (route) => {
			const config = configFor(route);
			const { state } = await drain(initialCursorState(config, nowMs), config);

			const again = await pollOnce(state, config, dependencies);

			expect(again.envelopes).toEqual([]);
			expect(again.next).toEqual(state);
		},
	);

	it('asks for the page size and follows the next cursor from the body', async () => {
		await pollOnce(undefined, configFor('cursor'), dependencies);

		const [first, second] = routeQueries();
		expect(first).toEqual({ limit: '4' });
		expect(second).toEqual({ limit: '4', cursor: expect.any(String) });
	});

	it('sends offsets after the first page', async () => {
		await pollOnce(undefined, configFor('offset'), dependencies);

		expect(routeQueries()).toEqual([{ limit: '4' }, { limit: '4', offset: '4' }]);
	});
});

describe('pollOnce between polls', () => {
	it('emits a record updated after it was emitted again, as its new version', async () => {
		const config = configFor('cursor');
		const { state } = await drain(initialCursorState(config, nowMs), config);
		setNow(POLL_TIME + 60_000);
		api.update('rec-03', { name: 'Renamed' });

		const result = await pollOnce(state, config, dependencies);

		expect(result.envelopes).toEqual([
			expect.objectContaining({
				id: 'rec-03',
				occurredAt: new Date(POLL_TIME + 60_000).toISOString(),
				data: expect.objectContaining({ name: 'Renamed' }),
			}),
		]);
	});

	it('does not emit an update again when it lands inside the safety margin', async () => {
		const config = configFor('cursor');
		const { state } = await drain(initialCursorState(config, nowMs), config);
		setNow(POLL_TIME + 60_000);
		api.update('rec-03');

		const first = await pollOnce(state, config, dependencies);
		setNow(POLL_TIME + 61_000);
		const second = await pollOnce(first.next, config, dependencies);

		expect(first.next.value).toBe(POLL_TIME + 60_000 - config.safetyMarginMs);
		expect(ids(first)).toEqual(['rec-03']);
		expect(second.envelopes).toEqual([]);
	});

	it('catches a late write inside the lookback and drops the ones already emitted', async () => {
		const config = configFor('cursor', { lookbackMs: 60_000 });
		const { state } = await drain(initialCursorState(config, nowMs), config);
		api.insertLate({ id: 'late-inside', updatedAt: at(4) - 30_000 });

		const result = await pollOnce(state, config, dependencies);

		expect(ids(result)).toEqual(['late-inside']);
	});

	it('misses a late write older than the lookback (the documented loss)', async () => {
		const config = configFor('none', { lookbackMs: 60_000 });
		const { state } = await drain(initialCursorState(config, nowMs), config);
		api.insertLate({ id: 'late-outside', updatedAt: at(4) - 120_000 });

		const result = await pollOnce(state, config, dependencies);

		expect(result.envelopes).toEqual([]);
	});
});

describe('pollOnce first run', () => {
	it('now: starts at now minus the safety margin and emits only later writes', async () => {
		const config = configFor('cursor', { firstRun: { mode: 'now' } });
		const start = initialCursorState(config, nowMs);

		const before = await pollOnce(start, config, dependencies);
		setNow(POLL_TIME + 60_000);
		api.insert({ id: 'after-activation' });
		const after = await pollOnce(before.next, config, dependencies);

		expect(start).toEqual({ value: POLL_TIME - 5_000, seenIds: [] });
		expect(before.envelopes).toEqual([]);
		expect(ids(after)).toEqual(['after-activation']);
	});

	it('backfillFrom: emits the records from that date on', async () => {
		const config = configFor('cursor', { firstRun: { mode: 'backfillFrom', fromMs: at(3) } });

		const { ids: emitted } = await drain(initialCursorState(config, nowMs), config);

		expect(emitted).toEqual(ALL_IDS.slice(7));
	});

	it('lastN: emits the newest N records, then only new ones', async () => {
		const config = configFor('cursor', { firstRun: { mode: 'lastN', count: 3 }, maxPages: 10 });
		expect(initialCursorState(config, nowMs)).toBeUndefined();

		const first = await pollOnce(undefined, config, dependencies);
		setNow(POLL_TIME + 60_000);
		api.insert({ id: 'new' });
		const second = await pollOnce(first.next, config, dependencies);

		expect(ids(first)).toEqual(['rec-11', 'rec-12', 'rec-13']);
		expect(ids(second)).toEqual(['new']);
	});

	it('lastN: a backlog beyond Max Pages still yields the newest N, then only new ones', async () => {
		const config = configFor('cursor', { firstRun: { mode: 'lastN', count: 3 } });

		const { ids: emitted, state } = await drain(undefined, config);
		setNow(POLL_TIME + 60_000);
		api.insert({ id: 'new' });
		const next = await pollOnce(state, config, dependencies);

		expect(emitted).toEqual(['rec-11', 'rec-12', 'rec-13']);
		expect(ids(next)).toEqual(['new']);
	});

	it('lastN: stops reading past Max Pages when the API answers the same page again', async () => {
		const config = configFor('cursor', { firstRun: { mode: 'lastN', count: 1 } });
		const samePage: PollDependencies = {
			...dependencies,
			fetchPage: async () => ({
				status: 200,
				headers: {},
				body: JSON.stringify({ data: DATASET.slice(0, 4), next_cursor: 'again' }),
			}),
		};

		const result = await pollOnce(undefined, config, samePage);

		expect(result).toMatchObject({ pages: MAX_PAGES, truncated: true });
		expect(ids(result)).toEqual(['rec-03']);
	});
});

describe('pollOnce retries', () => {
	it('waits as long as Retry-After says after a 429, then succeeds', async () => {
		api.failNext(1, 429, { retryAfter: 2 });

		const result = await pollOnce(undefined, configFor('none'), dependencies);

		expect(sleeps).toEqual([2_000]);
		expect(result).toMatchObject({ retries: 1, fetched: DATASET.length });
	});

	it('retries transient 500s with backoff within the base delay doubling', async () => {
		api.failNext(2, 500);

		const result = await pollOnce(undefined, configFor('none'), dependencies);

		expect(sleeps).toHaveLength(2);
		expect(sleeps[0]).toBeLessThan(500);
		expect(sleeps[1]).toBeLessThan(1_000);
		expect(result).toMatchObject({ retries: 2, fetched: DATASET.length });
	});

	it('throws an UpstreamError naming the URL and status when the retries run out', async () => {
		const config = configFor('none');
		api.failNext(4, 503);

		const failure = pollOnce(undefined, config, dependencies);

		await expect(failure).rejects.toThrow(UpstreamError);
		await expect(failure).rejects.toMatchObject({
			status: 503,
			message: expect.stringMatching(
				new RegExp(`^GET ${api.url}/changes/none answered 503: .*Injected 503.*after 3 retries`),
			),
		});
		expect(sleeps).toHaveLength(3);
	});

	it("leaves the caller's state as it was when a later page fails", async () => {
		const config = configFor('cursor', { retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 } });
		const state: CursorState = { value: T0, seenIds: [['rec-00', T0]] };
		const before = structuredClone(state);
		let calls = 0;
		const failingSecondPage: PollDependencies = {
			...dependencies,
			fetchPage: async (request) => {
				if (++calls === 2) api.failNext(1, 502);
				return await fetchPage(request);
			},
		};

		await expect(pollOnce(state, config, failingSecondPage)).rejects.toMatchObject({
			name: 'UpstreamError',
			status: 502,
		});
		expect(state).toEqual(before);
	});

	it('does not retry a 4xx other than 429', async () => {
		const config = configFor('none', {
			request: { ...configFor('none').request, url: `${api.url}/nope` },
		});

		await expect(pollOnce(undefined, config, dependencies)).rejects.toMatchObject({
			status: 404,
			message: expect.stringContaining(`GET ${api.url}/nope answered 404`),
		});
		expect(sleeps).toEqual([]);
	});
});

describe('pollOnce malformed pages', () => {
	it('names the URL when the body is not JSON', async () => {
		api.malformNext('notJson');

		const failure = pollOnce(undefined, configFor('cursor'), dependencies);

		await expect(failure).rejects.toThrow(PollResponseError);
		await expect(failure).rejects.toThrow(`The response of ${api.url}/changes/cursor is not JSON`);
	});

	it('says which records path holds nothing', async () => {
		api.malformNext('missingRecords');

		await expect(pollOnce(undefined, configFor('cursor'), dependencies)).rejects.toThrow(
			'The response has nothing at the records path "data"',
		);
	});

	it('names the record and field of a cursor that is not a date', async () => {
		api.malformNext('badCursorField');

		await expect(pollOnce(undefined, configFor('cursor'), dependencies)).rejects.toThrow(
			'Record 0 (id rec-00) has a cursor at "updatedAt" that is not a date or epoch time: "not-a-date"',
		);
	});
});

describe('pollOnce cursor in the request', () => {
	it('replaces {cursor} in the URL with the encoded lower bound', async () => {
		const config = configFor('none', {
			request: {
				url: `${api.url}/changes/none?updated_since={cursor}`,
				method: 'GET',
				query: {},
				headers: {},
			},
			cursorParam: '',
		});

		const result = await pollOnce({ value: at(3), seenIds: [] }, config, dependencies);

		expect(routeQueries()).toEqual([{ updated_since: new Date(at(3)).toISOString() }]);
		expect(ids(result)).toEqual(ALL_IDS.slice(7));
	});

	it.each([
		['iso', '2026-01-01T00:00:03.500Z'],
		['epochSeconds', String(at(3) / 1000)],
		['epochMillis', String(at(3) + 500)],
	] as const)('sends the lower bound as %s', async (cursorFormat, sent) => {
		const config = configFor('none', { cursorFormat });

		const result = await pollOnce({ value: at(3) + 500, seenIds: [] }, config, dependencies);

		expect(routeQueries()).toEqual([{ updated_since: sent }]);
		expect(ids(result)).toEqual(ALL_IDS.slice(12));
	});
});

describe('pollOnce stall', () => {
	it('reports stalled when one cursor value holds more records than Max Pages x page size', async () => {
		api.insert(
			Array.from({ length: 10 }, (_, index) => ({ id: `tie-${index}`, updatedAt: at(10) })),
		);
		const config = configFor('cursor', { firstRun: { mode: 'backfillFrom', fromMs: at(10) } });
		const start = initialCursorState(config, nowMs);

		const first = await pollOnce(start, config, dependencies);
		const second = await pollOnce(first.next, config, dependencies);

		expect(first).toMatchObject({ truncated: true, stalled: true });
		expect(first.envelopes).toHaveLength(8);
		expect(second).toMatchObject({ truncated: true, stalled: true, envelopes: [] });
	});

	it('is not stalled when the cursor moved at the page limit', async () => {
		const config = configFor('cursor');

		const result = await pollOnce(initialCursorState(config, nowMs), config, dependencies);

		expect(result).toMatchObject({ truncated: true, stalled: false });
		expect(result.next.value).toBe(at(3));
	});
});

describe('pollOnce at a boundary shared by more records than one response holds', () => {
	/** 12 records share one timestamp, 3 come later; route `none` answers at most 5, no next link. */
	let capped: MockChangesApi;
	const TIES = Array.from({ length: 12 }, (_, index) => ({
		id: `tie-${String(index).padStart(2, '0')}`,
		updatedAt: at(10),
	}));
	const LATER = [11, 12, 13].map((seconds) => ({ id: `later-${seconds}`, updatedAt: at(seconds) }));

	beforeEach(async () => {
		capped = await startMockChangesApi({
			records: [...TIES, ...LATER],
			clock: POLL_TIME,
			responseLimit: 5,
			tieBreakParam: 'after_id',
		});
	});

	afterEach(async () => {
		await capped.close();
	});

	const cappedConfig = (overrides: Partial<PollConfig> = {}) =>
		configFor('none', {
			request: { url: `${capped.url}/changes/none`, method: 'GET', query: {}, headers: {} },
			firstRun: { mode: 'backfillFrom', fromMs: at(10) },
			...overrides,
		});

	it('reports a stall when the next poll reads only the records already emitted', async () => {
		const config = cappedConfig();

		const first = await pollOnce(initialCursorState(config, nowMs), config, dependencies);
		const second = await pollOnce(first.next, config, dependencies);

		expect(ids(first)).toEqual(TIES.slice(0, 5).map(({ id }) => id));
		expect(first.stalled).toBe(false);
		expect(second).toMatchObject({
			envelopes: [],
			stalled: true,
			stall: { cursorValue: at(10), sharing: 5, limit: 'response' },
		});
	});

	it('delivers all 15 records once with the tie-break parameter', async () => {
		const config = cappedConfig({ tieBreakParam: 'after_id' });
		const emitted: string[] = [];
		let state = initialCursorState(config, nowMs);
		for (let poll = 0; poll < 6; poll++) {
			const result = await pollOnce(state, config, dependencies);
			expect(result.stalled).toBe(false);
			emitted.push(...ids(result));
			state = result.next;
		}

		expect(emitted).toEqual([...TIES, ...LATER].map(({ id }) => id));
		expect(capped.requests.map(({ query }) => query.after_id)).toContain('tie-04');
	});

	it('is not stalled when nothing newer exists upstream (an idle poll)', async () => {
		const config = cappedConfig({ tieBreakParam: 'after_id' });
		let state = initialCursorState(config, nowMs);
		for (let poll = 0; poll < 4; poll++) state = (await pollOnce(state, config, dependencies)).next;

		const idle = await pollOnce(state, config, dependencies);

		expect(idle).toMatchObject({ envelopes: [], stalled: false });
	});
});

describe('pollOnce record origins', () => {
	it('tells which page of the poll each emitted record came from', async () => {
		const config = configFor('cursor');

		const result = await pollOnce(initialCursorState(config, nowMs), config, dependencies);

		expect(result.envelopeOrigins.map(({ page }) => page)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
		expect(result.envelopeOrigins[0].cursorValue).toBe(at(0));
	});
});

describe('pollOnce stall probe and writes in flight', () => {
	it('does not take a write newer than the safety margin for a cut answer', async () => {
		const capped = await startMockChangesApi({
			records: Array.from({ length: 3 }, (_, index) => ({ id: `tie-${index}`, updatedAt: at(10) })),
			clock: POLL_TIME,
			responseLimit: 3,
		});
		try {
			const config = configFor('none', {
				request: { url: `${capped.url}/changes/none`, method: 'GET', query: {}, headers: {} },
				firstRun: { mode: 'backfillFrom', fromMs: at(10) },
			});
			const first = await pollOnce(initialCursorState(config, nowMs), config, dependencies);
			// Written just now, inside the safety margin: it may have landed after the poll's request.
			capped.insert({ id: 'just-written', updatedAt: POLL_TIME - 1000 });

			const second = await pollOnce(first.next, config, dependencies);

			expect(second).toMatchObject({ envelopes: [], stalled: false });
		} finally {
			await capped.close();
		}
	});
});
