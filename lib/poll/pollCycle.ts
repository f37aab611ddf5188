import get from 'lodash/get';

import type { EventEnvelope } from '../envelope';
import type { CursorState, PaginationStyle, RecordPosition } from './contracts';
import { advanceCursor, queryLowerBound, tieBreakId } from './cursor';
import { PollResponseError } from './errors';
import { headerValues, type ResponseHeaders } from './headers';
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
	headers: ResponseHeaders;
	/** The raw body text: parsed here so a non-JSON answer is a clear error. */
	body: string;
}

export interface PollConfig {
	request: PageRequest;
	/** Query parameter that carries the cursor's lower bound; empty = only the {cursor} placeholder. */
	cursorParam: string;
	/**
	 * Query parameter that carries the last id emitted at the boundary, for APIs that answer
	 * (cursor, id) after (updated_since, after_id); empty or absent = none.
	 */
	tieBreakParam?: string;
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

/** Why a poll could not get past its boundary: see StalledCursorError. */
export interface StallReport {
	cursorValue: number;
	/** Distinct records read at exactly that value. */
	sharing: number;
	limit: 'maxPages' | 'response';
}

export interface PollResult {
	envelopes: EventEnvelope[];
	/** Where each envelope came from, in envelope order: its page of this poll (0 = first) and cursor. */
	envelopeOrigins: Array<{ page: number; cursorValue: number }>;
	next: CursorState;
	pages: number;
	fetched: number;
	retries: number;
	/** The poll stopped at the page limit: the next poll continues from the new cursor. */
	truncated: boolean;
	/** The cursor cannot advance: `stall` says why. */
	stalled: boolean;
	/**
	 * Set when the poll made no progress at its boundary: it stopped at the page limit without moving
	 * the cursor (more records share one value, plus the lookback, than Max Pages x page size holds),
	 * or it read only records already emitted while the API holds later ones it did not answer.
	 */
	stall?: StallReport;
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
	const tieBreak = config.tieBreakParam ? tieBreakId(startState, config.lookbackMs) : undefined;
	const firstRequest = withCursor(config, lowerBound, tieBreak);

	// The feed is ordered oldest first, so a first "Last N" run reads it to its end: the newest N are
	// on the last page, and what a bounded poll left unread would all be emitted by the next one.
	const readToEnd = state === undefined && config.firstRun.mode === 'lastN';
	const records: unknown[] = [];
	const positions: RecordPosition[] = [];
	const recordPages: number[] = [];
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
		for (let index = 0; index < pageRecords.length; index++) recordPages.push(pages);
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
	// With a tie-break, new records at an unmoved boundary are progress: the next poll asks after them.
	const advanced =
		next.value !== startState.value ||
		(Boolean(config.tieBreakParam) && config.lookbackMs === 0 && fresh.length > 0);
	let stall: StallReport | undefined;
	if (startState.value !== null && !advanced) {
		const boundary = startState.value;
		const sharing = new Set(
			positions.filter(({ cursorValue }) => cursorValue === boundary).map(({ id }) => id),
		).size;
		if (truncated) stall = { cursorValue: boundary, sharing, limit: 'maxPages' };
		else if (fresh.length === 0 && records.length > 0) {
			const probe = await holdsLaterRecords(boundary, startedAtMs, config, dependencies);
			retries += probe.retried;
			if (probe.later) stall = { cursorValue: boundary, sharing, limit: 'response' };
		}
	}
	return {
		envelopes,
		envelopeOrigins: emitted.map((index) => ({
			page: recordPages[index],
			cursorValue: positions[index].cursorValue,
		})),
		next,
		pages,
		fetched: records.length,
		retries,
		truncated,
		stalled: stall !== undefined,
		stall,
	};
}

/**
 * One request for records strictly after the boundary. Asked only when a poll read nothing but
 * records already emitted and no next page: if the API holds later records it did not answer, it
 * cut its answer inside the boundary's records and every poll would read the same ones again.
 * An idle poll (nothing new upstream) costs this one request more. A timestamped record counts only
 * when it is older than the poll's start minus the safety margin, so a write landing between the
 * poll's request and this one is not taken for a cut answer.
 */
async function holdsLaterRecords(
	boundary: number,
	pollStartedAtMs: number,
	config: PollConfig,
	dependencies: PollDependencies,
): Promise<{ later: boolean; retried: number }> {
	const above = justAbove(boundary, config);
	const { response, retried } = await fetchWithRetry(
		withCursor(config, above, undefined),
		config,
		dependencies,
	);
	const records = extractRecords(parseJson(response.body, config.request.url), config.recordsPath);
	const settledBy = pollStartedAtMs - config.safetyMarginMs;
	const later = records.some((record, index) => {
		const { cursorValue } = recordPosition(record, index, config);
		return cursorValue > boundary && (config.kind === 'number' || cursorValue <= settledBy);
	});
	return { later, retried };
}

/** The smallest cursor the API can tell apart from `value` and above it, in the format sent. */
function justAbove(value: number, config: PollConfig): number {
	if (config.kind === 'number') return Math.floor(value) + 1;
	if (config.cursorFormat === 'epochSeconds') return (Math.floor(value / 1000) + 1) * 1000;
	return Math.floor(value) + 1;
}

function withCursor(
	config: PollConfig,
	lowerBound: number | null,
	tieBreak: string | undefined,
): PageRequest {
	const formatted =
		lowerBound === null ? '' : fromCursorValue(lowerBound, config.kind, config.cursorFormat);
	const query = {
		...config.request.query,
		...firstPageQuery(config.pagination.style, config.pagination.config),
	};
	if (config.cursorParam && lowerBound !== null) query[config.cursorParam] = formatted;
	if (config.tieBreakParam && tieBreak !== undefined) query[config.tieBreakParam] = tieBreak;
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
		const [retryAfter] = response ? headerValues(response.headers, 'retry-after') : [];
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
