import type { EventEnvelope } from '../envelope';
import type { CursorState } from './contracts';
import { StalledCursorError } from './errors';
import { initialCursorState, type PollConfig, type PollResult } from './pollCycle';
import { fromCursorValue } from './records';

/**
 * The Cursor Poll Trigger's decisions around one poll, framework-free: where a poll starts, what
 * it hands to n8n as executions, when the cursor is committed, and whether the next poll starts at
 * once. The node only does the I/O these answers name.
 */

export interface DeliverySettings {
	/** 'afterSuccess': commit once every run that got records succeeded (at-least-once); 'onEmit': at once. */
	commit: 'afterSuccess' | 'onEmit';
	/** One execution per poll, or one execution per record. */
	executions: 'perPoll' | 'perRecord';
	/** The items of a per-poll execution: one per record (its envelope), or one per page. */
	items: 'record' | 'page';
}

/** One page's new records as one item, for sinks that write in bulk. */
export interface PageItem {
	/** The records as the API answered them, those already emitted left out. */
	records: unknown[];
	count: number;
	/** The page of the poll the records came from; 1 = the first. */
	page: number;
	/** The cursor of the page's first and last record: ISO 8601 for timestamps, else the number. */
	cursor: { from: string | number; to: string | number };
	receivedAt: string;
	source: 'poll';
}

export type PollItem = EventEnvelope | PageItem;

export interface DeliveryPlan {
	/** One execution per batch, in order; empty when the poll found nothing new. */
	batches: PollItem[][];
	/** Commit only after every run reported success (else at once). */
	awaitRuns: boolean;
}

export type PollStart =
	| { kind: 'startFromNow'; state: CursorState }
	| { kind: 'poll'; from: CursorState | undefined };

/**
 * A poll starts from the committed cursor. Without one, "Start From Now" only records the start
 * (nothing before it is wanted); the other first-run rules poll from their initial state.
 */
export function pollStart(
	stored: CursorState | undefined,
	config: PollConfig,
	nowMs: number,
): PollStart {
	if (stored !== undefined) return { kind: 'poll', from: stored };
	const initial = initialCursorState(config, nowMs);
	if (initial && config.firstRun.mode === 'now') return { kind: 'startFromNow', state: initial };
	return { kind: 'poll', from: initial };
}

/**
 * The executions a poll starts: one per poll (its records as items, or one item per page) or one
 * per record; none when nothing is new, which commits at once (the cursor may still move).
 */
export function planDelivery(
	result: PollResult,
	settings: DeliverySettings,
	config: Pick<PollConfig, 'kind'>,
): DeliveryPlan {
	const awaitRuns = settings.commit === 'afterSuccess';
	const { envelopes } = result;
	if (envelopes.length === 0) return { batches: [], awaitRuns };
	if (settings.executions === 'perRecord') {
		return { batches: envelopes.map((envelope) => [envelope]), awaitRuns };
	}
	if (settings.items === 'page') return { batches: [pageItems(result, config)], awaitRuns };
	return { batches: [envelopes], awaitRuns };
}

export interface PollFollowUp {
	commit: boolean;
	/** A committed poll cut short by Max Pages left a backlog: start the next one at once. */
	drainNow: boolean;
	/** The poll made no progress at its boundary: a failed execution, so users see it. */
	stall?: StalledCursorError;
}

/**
 * After the runs of a poll: commit unless one failed (its records come again), drain a backlog at
 * once, and report a stall when the poll emitted nothing (a stalled poll that still emitted new
 * records made progress; the next one, with nothing new, reports it).
 */
export function followUp(
	result: PollResult,
	runsSucceeded: boolean,
	config: Pick<PollConfig, 'kind'>,
): PollFollowUp {
	const stall =
		result.stall && result.envelopes.length === 0
			? new StalledCursorError(
					describeCursorValue(result.stall.cursorValue, config),
					result.stall.sharing,
					result.stall.limit,
				)
			: undefined;
	if (!runsSucceeded) return { commit: false, drainNow: false, stall };
	return { commit: true, drainNow: result.truncated && !result.stalled, stall };
}

/** The envelopes grouped by the page they came from; pages with nothing new give no item. */
function pageItems(result: PollResult, config: Pick<PollConfig, 'kind'>): PageItem[] {
	const { envelopes, envelopeOrigins: origins } = result;
	const cursor = (index: number) =>
		config.kind === 'timestamp'
			? describeCursorValue(origins[index].cursorValue, config)
			: origins[index].cursorValue;
	const items: PageItem[] = [];
	let start = 0;
	for (let end = 1; end <= envelopes.length; end++) {
		if (end < envelopes.length && origins[end].page === origins[start].page) continue;
		items.push({
			records: envelopes.slice(start, end).map(({ data }) => data),
			count: end - start,
			page: origins[start].page + 1,
			cursor: { from: cursor(start), to: cursor(end - 1) },
			receivedAt: envelopes[start].receivedAt,
			source: 'poll',
		});
		start = end;
	}
	return items;
}

function describeCursorValue(value: number, config: Pick<PollConfig, 'kind'>): string {
	return fromCursorValue(value, config.kind, 'iso');
}
