import get from 'lodash/get';

import type { EventEnvelope } from '../envelope';
import type { CursorState, PaginationStyle, RecordPosition } from './contracts';
import { advanceCursor, queryLowerBound } from './cursor';
import { PollResponseError } from './errors';
import { firstPageQuery, nextPage, type PaginationConfig } from './pagination';
import { extractRecords, fromCursorValue, recordPosition } from './records';
import { retryDelayMs } from './retry';

/**
 * One poll of the Cursor Poll Trigger, framework-free: pages through the API from the committed
 * cursor, retries 429/5xx within bounds, and answers the records to emit with the cursor state to
 * commit once they were processed. HTTP goes through the injected `fetchPage` (n8n's helpers).
 */

export interface PageRequest {
	url: string;
	method: string;
	query: Record<string, string>;
	headers: Record<string, string>;
	body?: unknown;
}

export interface PageResponse {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	/** The raw body text: parsed here so a non-JSON answer is a clear error. */
	body: string;
}

export interface PollConfig {
	request: PageRequest;
	/** Query parameter that carries the cursor's lower bound; empty = only the {cursor} placeholder. */
	cursorParam: string;
	cursorFormat: 'iso' | 'epochSeconds' | 'epochMillis';
	recordsPath: string;
	cursorPath: string;
	idPath: string;
	kind: 'timestamp' | 'number';
	eventTypePath?: string;
	pagination: { style: PaginationStyle; config: PaginationConfig };
	maxPages: number;
	lookbackMs: number;
	safetyMarginMs: number;
	retry: { maxRetries: number; baseDelayMs: number; maxDelayMs: number };
	firstRun:
		| { mode: 'now' }
		| { mode: 'backfillFrom'; fromMs: number }
		| { mode: 'lastN'; count: number };
}

export interface PollDependencies {
	fetchPage(request: PageRequest): Promise<PageResponse>;
	sleep(ms: number): Promise<void>;
	now(): number;
}

export interface PollResult {
	envelopes: EventEnvelope[];
	next: CursorState;
	pages: number;
	fetched: number;
	retries: number;
	/** The poll stopped at the page limit: the next poll continues from the new cursor. */
	truncated: boolean;
	/**
	 * Stopped at the page limit without moving the cursor: more records share one cursor value (plus
	 * the lookback) than Max Pages x page size holds, so the cursor cannot advance until one is raised.
	 */
	stalled: boolean;
}

export class UpstreamError extends Error {
	constructor(
		message: string,
		readonly status: number | undefined,
	) {
		super(message);
		this.name = 'UpstreamError';
	}
}

/** The state a first activation starts from, before any poll. */
export function initialCursorState(config: PollConfig, nowMs: number): CursorState | undefined {
	if (config.firstRun.mode === 'now') return { value: nowMs - config.safetyMarginMs, seenIds: [] };
	if (config.firstRun.mode === 'backfillFrom')
		return { value: config.firstRun.fromMs, seenIds: [] };
	return undefined;
}

export async function pollOnce(
	state: CursorState | undefined,
	config: PollConfig,
	dependencies: PollDependencies,
): Promise<PollResult> {
	const startState: CursorState = state ?? { value: null, seenIds: [] };
	// The safety margin is measured from the poll's start: a write landing during a long poll (many
	// pages, retry waits) must stay above the committed boundary.
	const startedAtMs = dependencies.now();
	const lowerBound = queryLowerBound(startState, config);
	const firstRequest = withCursor(config, lowerBound);

	// The feed is ordered oldest first, so a first "Last N" run reads it to its end: the newest N are
	// on the last page, and what a bounded poll left unread would all be emitted by the next one.
	const readToEnd = state === undefined && config.firstRun.mode === 'lastN';
	const records: unknown[] = [];
	const positions: RecordPosition[] = [];
	const read = new Set<string>();
	let request: PageRequest | null = firstRequest;
	let pages = 0;
	let retries = 0;
	let offset = 0;
	while (request && (pages < config.maxPages || readToEnd)) {
		const { response, retried } = await fetchWithRetry(request, config, dependencies);
		retries += retried;
		const body = parseJson(response.body, request.url);
		const pageRecords = extractRecords(body, config.recordsPath);
		const pagePositions = pageRecords.map((record, index) =>
			recordPosition(record, records.length + index, config),
		);
		const before = read.size;
		for (const { id, cursorValue } of pagePositions) read.add(`${cursorValue}\u0000${id}`);
		// Without the page limit, an API that answers the same page again would be walked forever.
		if (readToEnd && pages >= config.maxPages && pageRecords.length > 0 && read.size === before)
			break;
		positions.push(...pagePositions);
		records.push(...pageRecords);
		pages++;
		offset += pageRecords.length;
		const follow = nextPage(config.pagination.style, config.pagination.config, {
			url: request.url,
			body,
			headers: response.headers,
			recordCount: pageRecords.length,
			pageIndex: pages - 1,
			offset,
		});
		request = follow
			? {
					...request,
					url: follow.url ?? request.url,
					query: follow.url ? {} : { ...request.query, ...(follow.query ?? {}) },
				}
			: null;
	}

	const { fresh, next } = advanceCursor(startState, positions, {
		...config,
		nowMs: startedAtMs,
	});
	let emitted = fresh;
	if (state === undefined && config.firstRun.mode === 'lastN') {
		emitted = [...fresh]
			.sort((a, b) => positions[a].cursorValue - positions[b].cursorValue)
			.slice(-config.firstRun.count);
	}
	const receivedAt = new Date(dependencies.now()).toISOString();
	const envelopes = emitted.map((index) =>
		toEnvelope(records[index], positions[index], config, receivedAt),
	);
	const truncated = request !== null;
	return {
		envelopes,
		next,
		pages,
		fetched: records.length,
		retries,
		truncated,
		stalled: truncated && next.value === startState.value,
	};
}

function withCursor(config: PollConfig, lowerBound: number | null): PageRequest {
	const formatted =
		lowerBound === null ? '' : fromCursorValue(lowerBound, config.kind, config.cursorFormat);
	const query = {
		...config.request.query,
		...firstPageQuery(config.pagination.style, config.pagination.config),
	};
	if (config.cursorParam && lowerBound !== null) query[config.cursorParam] = formatted;
	return {
		...config.request,
		url: config.request.url.replace(/\{cursor\}/g, encodeURIComponent(formatted)),
		query,
	};
}

async function fetchWithRetry(
	request: PageRequest,
	config: PollConfig,
	dependencies: PollDependencies,
): Promise<{ response: PageResponse; retried: number }> {
	for (let attempt = 0; ; attempt++) {
		let response: PageResponse | undefined;
		let failure: Error | undefined;
		try {
			response = await dependencies.fetchPage(request);
			if (response.status >= 200 && response.status < 300) return { response, retried: attempt };
		} catch (error) {
			failure = error as Error;
		}
		const retryAfter = headerText(response?.headers['retry-after']);
		const delay = retryDelayMs(
			attempt + 1,
			response?.status,
			retryAfter,
			config.retry,
			dependencies.now(),
		);
		if (delay === null) {
			const what = response
				? `answered ${response.status}${response.body ? `: ${response.body.slice(0, 200)}` : ''}`
				: `could not be reached: ${failure?.message ?? 'unknown error'}`;
			throw new UpstreamError(
				`${request.method} ${request.url} ${what}${attempt > 0 ? ` (after ${attempt} retries)` : ''}`,
				response?.status,
			);
		}
		await dependencies.sleep(delay);
	}
}

function headerText(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

function parseJson(text: string, url: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		throw new PollResponseError(`The response of ${url} is not JSON: ${text.slice(0, 100)}`);
	}
}

function toEnvelope(
	record: unknown,
	position: RecordPosition,
	config: PollConfig,
	receivedAt: string,
): EventEnvelope {
	const type: unknown = config.eventTypePath ? get(record, config.eventTypePath) : undefined;
	return {
		id: position.id,
		type: typeof type === 'string' ? type : null,
		occurredAt: config.kind === 'timestamp' ? new Date(position.cursorValue).toISOString() : null,
		receivedAt,
		source: 'poll',
		data: record,
	};
}
