import type { CursorAdvance, CursorOptions, CursorState, RecordPosition } from './contracts';

/**
 * The value to ask the API for with `>=`: the committed boundary minus the lookback, so late
 * writes inside the window are read again (and dropped by version when already emitted). Null on
 * the first run: ask without a lower bound.
 */
export function queryLowerBound(
	state: CursorState,
	options: Pick<CursorOptions, 'lookbackMs' | 'kind'>,
): number | null {
	return state.value === null ? null : state.value - options.lookbackMs;
}

/**
 * The id a tie-break query parameter carries: the last record emitted at exactly the boundary, so an
 * API that takes it (`updated_since` + `after_id`) answers only (cursor, id) after (boundary, id).
 * Undefined when none was emitted at the boundary, or with a lookback, whose re-read behind the
 * boundary a tie-break would cut short.
 */
export function tieBreakId(state: CursorState, lookbackMs: number): string | undefined {
	if (state.value === null || lookbackMs > 0) return undefined;
	for (let index = state.seenIds.length - 1; index >= 0; index--) {
		const [id, cursorValue] = state.seenIds[index];
		if (cursorValue === state.value) return id;
	}
	return undefined;
}

const versionKey = (id: string, cursorValue: number) => `${cursorValue}\u0000${id}`;

/**
 * Decides which records of one poll to emit and the state to commit after they were processed.
 *
 * A record is a version (id, cursorValue): it is fresh unless that exact version was emitted
 * before, so an update of an emitted record (newer cursor) is emitted again. Records below the
 * lower bound are late writes outside the lookback and are dropped (the documented loss). The
 * boundary moves to the highest cursor read, never back, and for timestamps never past
 * now - safetyMargin (writes still in flight upstream may land there); the versions above the
 * clamped boundary are read again next poll and stay remembered so they are dropped then.
 */
export function advanceCursor(
	state: CursorState,
	records: RecordPosition[],
	options: CursorOptions,
): CursorAdvance {
	const lowerBound = queryLowerBound(state, options);
	const seen = new Map<string, [string, number]>(
		state.seenIds.map(([id, value]) => [versionKey(id, value), [id, value]]),
	);
	const fresh: number[] = [];
	let highest: number | null = null;
	records.forEach(({ id, cursorValue }, index) => {
		if (lowerBound !== null && cursorValue < lowerBound) return;
		highest = highest === null ? cursorValue : Math.max(highest, cursorValue);
		const key = versionKey(id, cursorValue);
		if (seen.has(key)) return;
		seen.set(key, [id, cursorValue]);
		fresh.push(index);
	});

	const value = nextBoundary(state.value, highest, options);
	const seenIds = [...seen.values()].filter(
		([, cursorValue]) => value === null || cursorValue >= value - options.lookbackMs,
	);
	return { fresh, next: { value, seenIds } };
}

function nextBoundary(
	current: number | null,
	highest: number | null,
	{ kind, nowMs, safetyMarginMs }: CursorOptions,
): number | null {
	if (highest === null) return current;
	const clamped = kind === 'timestamp' ? Math.min(highest, nowMs - safetyMarginMs) : highest;
	return current === null ? clamped : Math.max(current, clamped);
}
