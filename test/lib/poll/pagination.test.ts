import { PollResponseError } from '../../../lib/poll/errors';
import {
	firstPageQuery,
	nextLink,
	nextPage,
	type PageSeen,
	type PaginationConfig,
} from '../../../lib/poll/pagination';

const URL_NOW = 'https://api.example.com/v1/items?updated_since=2025-01-01T00%3A00%3A00.000Z';

function page(overrides: Partial<PageSeen> = {}): PageSeen {
	return {
		url: URL_NOW,
		body: {},
		headers: {},
		recordCount: 10,
		pageIndex: 0,
		offset: 10,
		...overrides,
	};
}

describe('nextPage', () => {
	it('never follows with the style none', () => {
		expect(nextPage('none', {}, page())).toBeNull();
	});

	it('stops on an empty page whatever the style', () => {
		const config = { nextCursorPath: 'next', nextCursorParam: 'cursor' };
		expect(
			nextPage('nextCursorField', config, page({ body: { next: 'c2' }, recordCount: 0 })),
		).toBeNull();
	});

	it('stops when the hasMore flag is false', () => {
		const config = { nextCursorPath: 'next', nextCursorParam: 'cursor', hasMorePath: 'has_more' };
		expect(
			nextPage('nextCursorField', config, page({ body: { next: 'c2', has_more: false } })),
		).toBeNull();
	});

	describe('nextCursorField', () => {
		const config: PaginationConfig = {
			nextCursorPath: 'meta.next_cursor',
			nextCursorParam: 'cursor',
		};

		it('puts the body cursor into the query parameter', () => {
			expect(
				nextPage('nextCursorField', config, page({ body: { meta: { next_cursor: 'c2' } } })),
			).toEqual({
				query: { cursor: 'c2' },
			});
		});

		it.each([[null], [''], [undefined]])('stops when the cursor is %p', (cursor) => {
			expect(
				nextPage('nextCursorField', config, page({ body: { meta: { next_cursor: cursor } } })),
			).toBeNull();
		});

		it('names the missing setting', () => {
			expect(() => nextPage('nextCursorField', { nextCursorPath: 'next' }, page())).toThrow(
				new PollResponseError(
					'Pagination "nextCursorField" needs the Next Cursor Parameter setting',
				),
			);
		});
	});

	describe('linkHeader', () => {
		it('follows rel="next" among several links', () => {
			const link =
				'<https://api.example.com/v1/items?page=1>; rel="first", <https://api.example.com/v1/items?page=3>; rel="next", <https://api.example.com/v1/items?page=9>; rel="last"';
			expect(nextPage('linkHeader', {}, page({ headers: { link } }))).toEqual({
				url: 'https://api.example.com/v1/items?page=3',
			});
		});

		it('stops when there is no next link', () => {
			const link = '<https://api.example.com/v1/items?page=1>; rel="prev"';
			expect(nextPage('linkHeader', {}, page({ headers: { link } }))).toBeNull();
		});

		it('resolves a relative next link against the current URL', () => {
			const link = '</v1/items?after=abc>; rel=next';
			expect(nextPage('linkHeader', {}, page({ headers: { link } }))).toEqual({
				url: 'https://api.example.com/v1/items?after=abc',
			});
		});

		it('stops when the next link is the current URL (no endless loop)', () => {
			expect(
				nextPage('linkHeader', {}, page({ headers: { link: `<${URL_NOW}>; rel="next"` } })),
			).toBeNull();
		});
	});

	describe('nextUrlField', () => {
		const config = { nextUrlPath: 'links.next' };

		it('follows an absolute URL from the body', () => {
			const body = { links: { next: 'https://other.example.com/page2' } };
			expect(nextPage('nextUrlField', config, page({ body }))).toEqual({
				url: 'https://other.example.com/page2',
			});
		});

		it('resolves a relative URL against the current URL', () => {
			const body = { links: { next: '?updated_since=x&page=2' } };
			expect(nextPage('nextUrlField', config, page({ body }))).toEqual({
				url: 'https://api.example.com/v1/items?updated_since=x&page=2',
			});
		});

		it('stops when the field is null', () => {
			expect(
				nextPage('nextUrlField', config, page({ body: { links: { next: null } } })),
			).toBeNull();
		});

		it('refuses a next URL that cannot be resolved', () => {
			const body = { links: { next: 'http://[broken' } };
			expect(() => nextPage('nextUrlField', config, page({ body }))).toThrow(PollResponseError);
		});
	});

	describe('offset', () => {
		const config = { offsetParam: 'offset', limitParam: 'limit', pageSize: 10 };

		it('asks for the records after those read so far', () => {
			expect(nextPage('offset', config, page({ offset: 20 }))).toEqual({
				query: { offset: '20', limit: '10' },
			});
		});

		it('stops after a short page', () => {
			expect(nextPage('offset', config, page({ recordCount: 9 }))).toBeNull();
		});

		it('stops when the hasMore flag is false', () => {
			const flagged = { ...config, hasMorePath: 'hasMore' };
			expect(nextPage('offset', flagged, page({ body: { hasMore: false } }))).toBeNull();
		});
	});

	describe('pageNumber', () => {
		const config = { pageParam: 'page', limitParam: 'per_page', pageSize: 10, firstPage: 1 };

		it('asks for the page after this one, counted from the first page number', () => {
			expect(nextPage('pageNumber', config, page({ pageIndex: 1 }))).toEqual({
				query: { page: '3', per_page: '10' },
			});
		});

		it('counts from page 0 when the API does', () => {
			expect(nextPage('pageNumber', { ...config, firstPage: 0 }, page())).toEqual({
				query: { page: '1', per_page: '10' },
			});
		});

		it('stops after a short page', () => {
			expect(nextPage('pageNumber', config, page({ recordCount: 3 }))).toBeNull();
		});
	});
});

describe('firstPageQuery', () => {
	it('sends the page size with the first offset request', () => {
		expect(firstPageQuery('offset', { limitParam: 'limit', pageSize: 50 })).toEqual({
			limit: '50',
		});
	});

	it('sends the first page number and size', () => {
		expect(
			firstPageQuery('pageNumber', {
				pageParam: 'page',
				firstPage: 0,
				limitParam: 'limit',
				pageSize: 5,
			}),
		).toEqual({
			page: '0',
			limit: '5',
		});
	});

	it('adds nothing for cursor styles', () => {
		expect(firstPageQuery('linkHeader', { limitParam: 'limit', pageSize: 50 })).toEqual({});
	});
});

describe('nextLink', () => {
	it('reads a bare rel among other parameters, in any case', () => {
		expect(nextLink({ Link: '<https://a.example/2>; title="Page 2"; REL=Next' })).toBe(
			'https://a.example/2',
		);
	});

	it('finds next among several relation types', () => {
		expect(nextLink({ link: '<https://a.example/2>; rel="next last"' })).toBe(
			'https://a.example/2',
		);
	});

	it('is not fooled by commas and semicolons inside quotes or URLs', () => {
		const link =
			'<https://a.example/1?ids=1,2>; rel="prev"; title="a, b; rel=next", <https://a.example/3?ids=3,4>; rel="next"';
		expect(nextLink({ link })).toBe('https://a.example/3?ids=3,4');
	});

	it('reads escaped quotes inside a quoted parameter', () => {
		const link = '<https://a.example/3>; title="say \\"hi\\", then go"; rel="next"';
		expect(nextLink({ link })).toBe('https://a.example/3');
	});

	it('reads repeated Link headers', () => {
		const link = ['<https://a.example/1>; rel="prev"', '<https://a.example/3>; rel="next"'];
		expect(nextLink({ link })).toBe('https://a.example/3');
	});

	it('does not take "nextpage" for next', () => {
		expect(nextLink({ link: '<https://a.example/3>; rel="nextpage"' })).toBeUndefined();
	});

	it('answers undefined without a Link header', () => {
		expect(nextLink({})).toBeUndefined();
	});
});
