import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
	createRunExecutionData,
	type ExecutionError,
	type INode,
	type IRun,
	type ITriggerResponse,
	NodeApiError,
	NodeOperationError,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import type { CursorState } from '../../../lib/poll/contracts';
import { closeAllStores, openStore } from '../../../lib/store/openStore';
import { CursorPollTrigger } from '../../../nodes/CursorPollTrigger/CursorPollTrigger.node';
import { type MockChangesApi, startMockChangesApi } from '../../support/mockChangesApi';
import {
	type Emission,
	type FakeTrigger,
	fakeTriggerContext,
	NODE_ID,
	until,
	WORKFLOW_ID,
} from './fakeTriggerContext';

/** Whole seconds an hour ago: far behind the safety margin, so the cursor reaches every record. */
const BASE = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const DATASET = ['a', 'b', 'c', 'd', 'e'].map((name, index) => ({
	id: `rec-${name}`,
	updatedAt: BASE + index * 1000,
}));
const POLL_INTERVAL_SECONDS = 0.05;
const QUIET_MS = POLL_INTERVAL_SECONDS * 3000;

let api: MockChangesApi;
let storeFolder: string;
let running: { fake: FakeTrigger; response: ITriggerResponse } | undefined;

function parameters(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		pollIntervalSeconds: POLL_INTERVAL_SECONDS,
		url: `${api.url}/changes/cursor`,
		recordsPath: 'data',
		cursorPath: 'updatedAt',
		idPath: 'id',
		paginationStyle: 'nextCursorField',
		firstRun: 'backfillFrom',
		backfillFrom: new Date(BASE - 1000).toISOString(),
		commitMode: 'afterSuccess',
		emitMode: 'perPoll',
		pollOptions: { maxRetries: 0 },
		...overrides,
	};
}

async function startTrigger(
	overrides: Record<string, unknown> = {},
	mode: WorkflowExecuteMode = 'trigger',
	holdRequests = false,
): Promise<FakeTrigger> {
	const fake = fakeTriggerContext({ parameters: parameters(overrides), mode, holdRequests });
	const response = await new CursorPollTrigger().trigger.call(fake.context);
	fake.endActivation();
	running = { fake, response };
	return fake;
}

/** Closes the trigger once its poll in flight ended, so no poll outlives the test's store. */
async function stopTrigger(): Promise<void> {
	if (!running) return;
	const { fake, response } = running;
	running = undefined;
	for (const { done } of fake.emitted) done?.resolve(finishedRun());
	await response.closeFunction?.();
	// A poll in flight at close still ends (its commit or log); no new one starts.
	await until(() => (fake.isQuiet(QUIET_MS) ? true : undefined), 'the last poll to end');
}

async function storedCursor(): Promise<CursorState | undefined> {
	return (await openStore({ backend: 'embedded' }).cursors.read(`${WORKFLOW_ID}:${NODE_ID}:`)) as
		| CursorState
		| undefined;
}

function finishedRun(error?: ExecutionError): IRun {
	return {
		data: createRunExecutionData({ resultData: { error, runData: {} } }),
		mode: 'trigger',
		startedAt: new Date(),
		storedAt: 'db',
		status: error ? 'error' : 'success',
	};
}

const emittedIds = ({ items }: Emission) => items[0].map(({ json }) => json.id);
const emission = async (fake: FakeTrigger, index: number) =>
	await until(() => fake.emitted[index], `emission ${index}`);
const pollsFinished = (fake: FakeTrigger) =>
	fake.logs.filter(({ message }) => message === 'Cursor poll finished').length;

beforeEach(async () => {
	storeFolder = mkdtempSync(join(tmpdir(), 'cursor-poller-'));
	process.env.HYBRID_SYNC_STORE_PATH = join(storeFolder, 'store.sqlite');
	api = await startMockChangesApi({ records: DATASET });
});

afterEach(async () => {
	await stopTrigger();
	await closeAllStores();
	await api.close();
	delete process.env.HYBRID_SYNC_STORE_PATH;
	rmSync(storeFolder, { recursive: true, force: true });
});

describe('CursorPollTrigger commit after success', () => {
	it('emits the same records again when the run that received them failed', async () => {
		const fake = await startTrigger();
		const first = await emission(fake, 0);
		const node = fake.context.getNode() as INode;

		first.done?.resolve(finishedRun(new NodeOperationError(node, 'A later node failed')));
		const second = await emission(fake, 1);

		expect(emittedIds(first)).toEqual(DATASET.map(({ id }) => id));
		expect(emittedIds(second)).toEqual(emittedIds(first));
		expect(await storedCursor()).toBeUndefined();
	});

	it('emits only new records once the run succeeded', async () => {
		const fake = await startTrigger();
		const first = await emission(fake, 0);

		first.done?.resolve(finishedRun());
		await until(() => (pollsFinished(fake) >= 1 ? true : undefined), 'the commit');
		api.insert({ id: 'rec-new', updatedAt: BASE + 60_000 });
		const second = await emission(fake, 1);

		expect(emittedIds(second)).toEqual(['rec-new']);
		expect(await storedCursor()).toEqual({
			value: BASE + 4000,
			seenIds: [['rec-e', BASE + 4000]],
		});
	});

	it('waits for every run of a poll when it emits one execution per record', async () => {
		const fake = await startTrigger({ emitMode: 'perRecord' });
		const runs = await until(
			() => (fake.emitted.length === DATASET.length ? fake.emitted : undefined),
			'one emission per record',
		);

		runs.slice(1).forEach(({ done }) => done?.resolve(finishedRun()));
		await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_SECONDS * 3000));

		expect(runs.map(({ items }) => items[0].length)).toEqual(DATASET.map(() => 1));
		expect(await storedCursor()).toBeUndefined();
	});
});

describe('CursorPollTrigger upgrade', () => {
	it('goes on from a cursor the previous release kept in the idempotency store', async () => {
		const key = `${WORKFLOW_ID}:${NODE_ID}:`;
		const committed = { value: BASE + 4000, seenIds: [['rec-e', BASE + 4000]] };
		// As the previous release committed it: a completed record of its namespace, kept ten years.
		await openStore({ backend: 'embedded' }).complete(
			'cursor-poll-trigger',
			[{ key, result: committed }],
			{ retentionMs: 10 * 365 * 86_400_000 },
		);
		api.insert({ id: 'rec-new', updatedAt: BASE + 60_000 });

		const fake = await startTrigger();

		expect(emittedIds(await emission(fake, 0))).toEqual(['rec-new']);
		expect(await storedCursor()).toEqual(committed);
	});
});

describe('CursorPollTrigger commit on emit', () => {
	it('commits the cursor at once, without waiting for the run', async () => {
		const fake = await startTrigger({ commitMode: 'onEmit' });
		const first = await emission(fake, 0);
		await until(() => (pollsFinished(fake) >= 1 ? true : undefined), 'the commit');

		expect(first.done).toBeUndefined();
		expect((await storedCursor())?.value).toBe(BASE + 4000);
	});
});

describe('CursorPollTrigger first run from now', () => {
	it('stores the start and emits only records written after it', async () => {
		const fake = await startTrigger({ firstRun: 'now', commitMode: 'onEmit' });
		const started = await until(() => fake.logs[0], 'the first poll');
		api.insert({ id: 'rec-new', updatedAt: Date.now() - 1000 });
		api.setClock(Date.now());

		const first = await emission(fake, 0);

		expect(started.message).toBe('Cursor poll started from now');
		expect(emittedIds(first)).toEqual(['rec-new']);
	});
});

describe('CursorPollTrigger manual mode', () => {
	it('does not poll on its own and emits the newest record as a sample', async () => {
		const fake = await startTrigger({}, 'manual');

		await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_SECONDS * 3000));
		expect(fake.requests).toEqual([]);
		await running?.response.manualTriggerFunction?.();

		expect(fake.emitted).toHaveLength(1);
		expect(emittedIds(fake.emitted[0])).toEqual(['rec-e']);
		expect(fake.emitted[0].done).toBeUndefined();
		expect(await storedCursor()).toBeUndefined();
	});

	it('emits the records after the stored cursor and leaves the cursor where it was', async () => {
		const active = await startTrigger({ commitMode: 'onEmit' });
		await until(() => (pollsFinished(active) >= 1 ? true : undefined), 'the first commit');
		await stopTrigger();
		const committed = await storedCursor();
		api.insert({ id: 'rec-new', updatedAt: BASE + 60_000 });

		const fake = await startTrigger({}, 'manual');
		await running?.response.manualTriggerFunction?.();

		expect(emittedIds(fake.emitted[0])).toEqual(['rec-new']);
		expect(await storedCursor()).toEqual(committed);
	});

	it('throws a clear error when the API has no records at all', async () => {
		for (const { id } of DATASET) api.remove(id);
		await startTrigger({}, 'manual');

		await expect(running?.response.manualTriggerFunction?.()).rejects.toThrow(
			'The API answered no records to show',
		);
	});
});

describe('CursorPollTrigger upstream failures', () => {
	it('reports a failed poll as a failed execution and keeps the cursor', async () => {
		const fake = await startTrigger({ commitMode: 'onEmit' });
		await until(() => (pollsFinished(fake) >= 1 ? true : undefined), 'the first commit');
		const committed = await storedCursor();
		api.failNext(1, 500);
		api.insert({ id: 'rec-new', updatedAt: BASE + 60_000 });

		const error = await until(() => fake.errors[0], 'saveFailedExecution');
		const recovered = await until(
			() => fake.emitted.find((emitted) => emittedIds(emitted).includes('rec-new')),
			'the poll after the failure',
		);

		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe(
			`GET ${api.url}/changes/cursor answered 500: {"error":"Injected 500"}`,
		);
		expect((error as NodeApiError).httpCode).toBe('500');
		expect(committed?.value).toBe(BASE + 4000);
		expect(emittedIds(recovered)).toEqual(['rec-new']);
	});

	it('names the record and field when a page cannot be read', async () => {
		api.malformNext('badCursorField');
		const fake = await startTrigger();

		const error = await until(() => fake.errors[0], 'saveFailedExecution');

		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe(
			'Record 0 (id rec-a) has a cursor at "updatedAt" that is not a date or epoch time: "not-a-date"',
		);
		expect(await storedCursor()).toBeUndefined();
	});
});

describe('CursorPollTrigger close', () => {
	it('stops polling once closeFunction was called', async () => {
		const fake = await startTrigger({ commitMode: 'onEmit' });
		await until(() => (pollsFinished(fake) >= 2 ? true : undefined), 'two polls');
		await stopTrigger();
		const requestsAtClose = fake.requests.length;

		await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_SECONDS * 4000));

		expect(fake.requests).toHaveLength(requestsAtClose);
	});

	it('neither emits nor reports when closed while a poll is in flight', async () => {
		const fake = await startTrigger({}, 'trigger', true);
		const inFlight = await until(() => (fake.requests.length > 0 ? true : undefined), 'a request');
		await running?.response.closeFunction?.();
		fake.releaseRequests();

		await until(() => (fake.isQuiet(QUIET_MS) ? true : undefined), 'the held poll to end');

		expect(inFlight).toBe(true);
		expect(fake.emitted).toEqual([]);
		expect(fake.errors).toEqual([]);
	});
});

describe('CursorPollTrigger page items', () => {
	it('emits one item per page and commits once that run succeeded', async () => {
		const fake = await startTrigger({
			outputItems: 'page',
			queryParameters: { parameters: [{ name: 'limit', value: '3' }] },
		});
		const first = await emission(fake, 0);

		first.done?.resolve(finishedRun());
		await until(() => (pollsFinished(fake) >= 1 ? true : undefined), 'the commit');

		expect(first.items[0].map(({ json }) => [json.page, json.count])).toEqual([
			[1, 3],
			[2, 2],
		]);
		expect(first.items[0][1].json.records).toEqual(api.records().slice(3));
		expect((await storedCursor())?.value).toBe(BASE + 4000);
	});
});

describe('CursorPollTrigger stall', () => {
	it('reports a poll stuck at a shared cursor value as a failed execution', async () => {
		const tied = Array.from({ length: 4 }, (_, index) => ({
			id: `tie-${index}`,
			updatedAt: BASE + 10_000,
		}));
		api.insert([...tied, { id: 'rec-later', updatedAt: BASE + 20_000 }]);
		const fake = await startTrigger({
			commitMode: 'onEmit',
			queryParameters: { parameters: [{ name: 'limit', value: '3' }] },
			paginationStyle: 'none',
			url: `${api.url}/changes/cursor`,
			backfillFrom: new Date(BASE + 10_000).toISOString(),
		});

		const error = await until(() => fake.errors[0], 'saveFailedExecution');

		expect(emittedIds(fake.emitted[0])).toEqual(['tie-0', 'tie-1', 'tie-2']);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(
			/^The cursor cannot advance past \d{4}-\d\d-\d\dT[\d:.]+Z: 3 records seen sharing that value/,
		);
	});
});
