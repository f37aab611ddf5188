import { type IDataObject, type ITriggerFunctions, NodeOperationError } from 'n8n-workflow';

import type { PaginationStyle } from '../../lib/poll/contracts';
import type { DeliverySettings } from '../../lib/poll/delivery';
import type { PollConfig } from '../../lib/poll/pollCycle';

/** Everything the poller reads from the node, resolved once. */
export interface PollSettings {
	config: PollConfig;
	delivery: DeliverySettings;
	intervalMs: number;
	storeBackend: string;
	/** Where the committed cursor is kept: workflow, node and cursor generation. */
	cursorKey: string;
	/** 'none' or the credential type to authenticate with. */
	authentication: string;
}

/**
 * Every parameter the poller needs, evaluated here, inside trigger(): n8n holds an expression
 * isolate for a trigger node only while trigger() runs at activation (active-workflow-manager), so
 * an expression read later, from the poller's timer, fails under n8n's default expression engine
 * ("No bridge acquired for this context").
 */
export function readPollSettings(context: ITriggerFunctions): PollSettings {
	const parameter = <T>(name: string, fallback: T) => context.getNodeParameter(name, fallback) as T;
	const options = parameter<IDataObject>('pollOptions', {});
	const generation = (options.cursorGeneration as string | undefined) ?? '';
	const executions = parameter<DeliverySettings['executions']>('emitMode', 'perPoll');
	return {
		config: readPollConfig(context),
		delivery: {
			commit: parameter<DeliverySettings['commit']>('commitMode', 'afterSuccess'),
			executions,
			items:
				executions === 'perPoll'
					? parameter<DeliverySettings['items']>('outputItems', 'record')
					: 'record',
		},
		intervalMs: parameter('pollIntervalSeconds', 900) * 1000,
		storeBackend: parameter('storeBackend', 'embedded'),
		cursorKey: `${context.getWorkflow().id}:${context.getNode().id}:${generation}`,
		authentication: parameter('authentication', 'none'),
	};
}

type NameValues = { parameters?: Array<{ name: string; value: string }> };

const toRecord = (collection: NameValues) =>
	Object.fromEntries(
		(collection.parameters ?? []).filter((p) => p.name).map((p) => [p.name, p.value]),
	);

/** The node's parameters as the framework-free poll configuration. */
function readPollConfig(context: ITriggerFunctions): PollConfig {
	const parameter = <T>(name: string, fallback: T) => context.getNodeParameter(name, fallback) as T;
	const options = parameter<IDataObject>('pollOptions', {});
	const method = parameter<string>('method', 'GET');
	const firstRunMode = parameter<string>('firstRun', 'now');
	let firstRun: PollConfig['firstRun'] = { mode: 'now' };
	if (firstRunMode === 'backfillFrom') {
		const fromMs = Date.parse(parameter('backfillFrom', ''));
		if (Number.isNaN(fromMs)) {
			throw new NodeOperationError(context.getNode(), 'Backfill From is not a date', {
				description: 'Pick the date to start the backfill from, or choose another First Run rule.',
			});
		}
		firstRun = { mode: 'backfillFrom', fromMs };
	} else if (firstRunMode === 'lastN') {
		firstRun = { mode: 'lastN', count: parameter('lastN', 10) };
	}
	let body: unknown;
	if (method === 'POST') {
		const raw = parameter<unknown>('body', '{}');
		try {
			body = typeof raw === 'string' ? JSON.parse(raw) : raw;
		} catch {
			throw new NodeOperationError(context.getNode(), 'Body is not valid JSON');
		}
	}
	return {
		request: {
			url: parameter<string>('url', ''),
			method,
			query: toRecord(parameter<NameValues>('queryParameters', {})),
			headers: toRecord(parameter<NameValues>('headerParameters', {})),
			body,
		},
		cursorParam: parameter<string>('cursorParam', 'updated_since'),
		tieBreakParam: parameter<string>('tieBreakParam', ''),
		cursorFormat: parameter<PollConfig['cursorFormat']>('cursorFormat', 'iso'),
		recordsPath: parameter<string>('recordsPath', 'data'),
		cursorPath: parameter<string>('cursorPath', 'updated_at'),
		idPath: parameter<string>('idPath', 'id'),
		kind: parameter<PollConfig['kind']>('cursorKind', 'timestamp'),
		eventTypePath: parameter<string>('eventTypePath', '') || undefined,
		pagination: {
			style: parameter<PaginationStyle>('paginationStyle', 'nextCursorField'),
			config: {
				nextCursorPath: parameter('nextCursorPath', 'next_cursor'),
				nextCursorParam: parameter('nextCursorParam', 'cursor'),
				nextUrlPath: parameter('nextUrlPath', 'next'),
				offsetParam: parameter('offsetParam', 'offset'),
				pageParam: parameter('pageParam', 'page'),
				firstPage: parameter('firstPage', 1),
				limitParam: parameter('limitParam', 'limit'),
				pageSize: parameter('pageSize', 100),
				hasMorePath: parameter('hasMorePath', '') || undefined,
			},
		},
		maxPages: parameter('maxPages', 10),
		lookbackMs: ((options.lookbackMinutes as number | undefined) ?? 0) * 60_000,
		safetyMarginMs: ((options.safetyMarginSeconds as number | undefined) ?? 5) * 1000,
		retry: {
			maxRetries: (options.maxRetries as number | undefined) ?? 5,
			baseDelayMs: 500,
			maxDelayMs: ((options.maxRetryDelaySeconds as number | undefined) ?? 60) * 1000,
		},
		firstRun,
	};
}
