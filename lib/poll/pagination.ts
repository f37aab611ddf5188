import get from 'lodash/get';

import type { PaginationStyle } from './contracts';
import { PollResponseError } from './errors';
import { headerValues, type ResponseHeaders } from './headers';

export interface PaginationConfig {
	nextCursorPath?: string;
	nextCursorParam?: string;
	nextUrlPath?: string;
	limitParam?: string;
	offsetParam?: string;
	pageParam?: string;
	pageSize?: number;
	firstPage?: number;
	/** A body flag that says whether more pages follow (Slack, Stripe: `has_more`); false stops. */
	hasMorePath?: string;
}

export interface PageSeen {
	/** The URL this page was fetched from; relative next links resolve against it. */
	url: string;
	body: unknown;
	headers: ResponseHeaders;
	recordCount: number;
	/** 0 for the first page of the poll. */
	pageIndex: number;
	/** Records read in this poll so far, this page included: the next page's offset. */
	offset: number;
}

/** A full URL to fetch as is, or query parameters to merge into the first request's. */
export type PageFollow = { url?: string; query?: Record<string, string> };

/**
 * Where the next page of this poll is, or null when this page was the last: no next link or
 * cursor, an empty page, a short page (offset and page number), or `hasMorePath` false.
 */
export function nextPage(
	style: PaginationStyle,
	config: PaginationConfig,
	page: PageSeen,
): PageFollow | null {
	if (style === 'none' || page.recordCount === 0) return null;
	if (config.hasMorePath && isFalse(get(page.body, config.hasMorePath))) return null;
	switch (style) {
		case 'nextCursorField': {
			const path = required(config.nextCursorPath, 'Next Cursor Path', style);
			const param = required(config.nextCursorParam, 'Next Cursor Parameter', style);
			const cursor: unknown = get(page.body, path);
			if (cursor === undefined || cursor === null || cursor === '' || cursor === false) return null;
			return { query: { [param]: String(cursor) } };
		}
		case 'linkHeader':
			return followUrl(nextLink(page.headers), page.url);
		case 'nextUrlField': {
			const next: unknown = get(page.body, required(config.nextUrlPath, 'Next URL Path', style));
			return followUrl(typeof next === 'string' ? next : undefined, page.url);
		}
		case 'offset':
			if (isShortPage(config, page)) return null;
			return {
				query: {
					[required(config.offsetParam, 'Offset Parameter', style)]: String(page.offset),
					...limitQuery(config),
				},
			};
		case 'pageNumber':
			if (isShortPage(config, page)) return null;
			return {
				query: {
					[required(config.pageParam, 'Page Parameter', style)]: String(
						(config.firstPage ?? 1) + page.pageIndex + 1,
					),
					...limitQuery(config),
				},
			};
	}
}

/**
 * The query parameters the first request of a poll needs for offset and page-number paging (the
 * page size, so the short-page stop rule means the end; the first page number when set).
 */
export function firstPageQuery(
	style: PaginationStyle,
	config: PaginationConfig,
): Record<string, string> {
	if (style === 'offset') return limitQuery(config);
	if (style !== 'pageNumber') return {};
	const first =
		config.pageParam && config.firstPage !== undefined
			? { [config.pageParam]: String(config.firstPage) }
			: {};
	return { ...first, ...limitQuery(config) };
}

/**
 * The rel="next" target of RFC 8288 (formerly 5988) Link headers: several links per header,
 * repeated headers, quoted or bare parameters, commas inside URLs or quotes, several relation
 * types in one rel ("next last").
 */
export function nextLink(headers: PageSeen['headers']): string | undefined {
	for (const link of headerValues(headers, 'link').flatMap((value) => splitOutside(value, ','))) {
		const parts = /^\s*<([^>]*)>(.*)$/s.exec(link);
		if (!parts) continue;
		const rel = splitOutside(parts[2], ';')
			.map((parameter) => /^\s*rel\s*=\s*(.*?)\s*$/is.exec(parameter)?.[1])
			.find((value) => value !== undefined);
		if (rel !== undefined && unquote(rel).toLowerCase().split(/\s+/).includes('next')) {
			return parts[1].trim();
		}
	}
	return undefined;
}

/** Splits at `separator` outside quoted strings and <URLs>. */
function splitOutside(text: string, separator: string): string[] {
	const parts: string[] = [];
	let current = '';
	let quoted = false;
	let bracketed = false;
	for (let index = 0; index < text.length; index++) {
		const char = text[index];
		if (quoted && char === '\\') {
			current += char + (text[++index] ?? '');
			continue;
		}
		if (char === '"' && !bracketed) quoted = !quoted;
		else if (char === '<' && !quoted) bracketed = true;
		else if (char === '>' && !quoted) bracketed = false;
		else if (char === separator && !quoted && !bracketed) {
			parts.push(current);
			current = '';
			continue;
		}
		current += char;
	}
	parts.push(current);
	return parts;
}

function unquote(value: string): string {
	return value.startsWith('"') && value.endsWith('"') && value.length >= 2
		? value.slice(1, -1).replace(/\\(.)/g, '$1')
		: value;
}

function followUrl(next: string | undefined, current: string): PageFollow | null {
	if (next === undefined || next.trim() === '') return null;
	let url: string;
	try {
		url = new URL(next.trim(), current).toString();
	} catch {
		throw new PollResponseError(`The next page link "${next}" is not a URL`);
	}
	return url === current ? null : { url };
}

function isShortPage(config: PaginationConfig, page: PageSeen): boolean {
	return config.pageSize !== undefined && page.recordCount < config.pageSize;
}

function limitQuery(config: PaginationConfig): Record<string, string> {
	return config.limitParam && config.pageSize !== undefined
		? { [config.limitParam]: String(config.pageSize) }
		: {};
}

function isFalse(flag: unknown): boolean {
	return flag === false || flag === 'false' || flag === 0;
}

function required(value: string | undefined, label: string, style: PaginationStyle): string {
	if (value) return value;
	throw new PollResponseError(`Pagination "${style}" needs the ${label} setting`);
}
