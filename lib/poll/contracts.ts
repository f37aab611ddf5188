/**
 * The Cursor Poll Trigger's framework-free contracts. The node (nodes/CursorPollTrigger) does the
 * HTTP through n8n's request helpers and calls these pure functions for every decision.
 */

/** A record reduced to what the cursor needs. `cursorValue` is epoch ms for timestamps, or the raw number. */
export interface RecordPosition {
	id: string;
	cursorValue: number;
}

/**
 * Persisted between polls (and committed only after the run that received the records succeeded).
 * `value` is the keyset boundary: the next query asks for records with cursor >= value - lookback.
 * `seenIds` remembers ids already emitted whose cursor is >= value - lookback, so boundary ties and
 * re-seen late writes are dropped by id instead of emitted twice. Bounded by the lookback window.
 */
export interface CursorState {
	value: number | null;
	seenIds: Array<[id: string, cursorValue: number]>;
}

export interface CursorOptions {
	/** Re-read this far behind the boundary to catch late-arriving writes (0 = none). */
	lookbackMs: number;
	/** The boundary never moves past now minus this (writes still in flight upstream). */
	safetyMarginMs: number;
	nowMs: number;
	/** 'timestamp': values are epoch ms and the safety margin applies; 'number': a monotonic sequence. */
	kind: 'timestamp' | 'number';
}

export interface CursorAdvance {
	/** Positions (in input order) of the records to emit: not emitted before. */
	fresh: number[];
	/** The state to commit once the fresh records were processed. */
	next: CursorState;
}

export type PaginationStyle =
	| 'none'
	| 'nextCursorField'
	| 'linkHeader'
	| 'nextUrlField'
	| 'offset'
	| 'pageNumber';
