import { randomUUID } from 'node:crypto';

import { isTerminalExecutionStatus, type INode } from 'n8n-workflow';

import { startMockChangesApi, type MockChangesApi } from '../support/mockChangesApi';
import { startRecordingEndpoint, type RecordingEndpoint } from '../support/recordingEndpoint';
import { waitFor } from '../support/waitFor';
import {
	N8nInstance,
	nodeOutput,
	type CreatedCredential,
	type CreatedWorkflow,
	type ExecutionSummary,
} from './harness';

/**
 * The Cursor Poll Trigger as new users set it up, in a real n8n under its default expression
 * engine (no N8N_EXPRESSION_ENGINE override): parameters written as expressions; an API whose only
 * cursor is a timestamp and whose answers hold fewer records than share one timestamp; a bulk sink
 * fed one item per page.
 */

const TRIGGER = 'Changes';
const TOKEN = 'token-for-the-expression-test';

function triggerNode(parameters: INode['parameters'], credentials?: INode['credentials']): INode {
	return {
		id: randomUUID(),
		name: TRIGGER,
		type: 'n8n-nodes-hybrid-sync.cursorPollTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters,
		credentials,
	};
}

/** Every record id the workflow's successful executions emitted, in execution order. */
async function emittedIds(n8n: N8nInstance, workflow: CreatedWorkflow): Promise<string[]> {
	const executions = (await n8n.listExecutions(workflow.id)).filter(
		({ status }) => status === 'success',
	);
	const ids: string[] = [];
	for (const { id } of executions.reverse()) {
		ids.push(...nodeOutput(await n8n.getExecution(id), TRIGGER).map((item) => String(item.id)));
	}
	return ids;
}

async function failureMessages(n8n: N8nInstance, executions: ExecutionSummary[]) {
	const failed = executions.filter(({ status }) => status !== 'success');
	return await Promise.all(
		failed.map(async ({ id }) => (await n8n.getExecution(id)).data.resultData.error?.message),
	);
}

describe('Cursor Poll Trigger set up by a new user, in a real n8n', () => {
	let n8n: N8nInstance;
	const base = Date.now() - 10 * 60_000;
	const records = Array.from({ length: 6 }, (_, index) => ({
		id: `rec-${index}`,
		updatedAt: base + index * 1000,
	}));

	beforeAll(async () => {
		n8n = await N8nInstance.start();
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	describe('with expressions in URL, query, header, body and credential', () => {
		let api: MockChangesApi;
		let credential: CreatedCredential;
		let workflow: CreatedWorkflow;

		beforeAll(async () => {
			api = await startMockChangesApi({ records, auth: { bearer: TOKEN } });
			credential = await n8n.createCredential({
				name: 'Changes API token (expression)',
				type: 'hybridSyncHttpAuthApi',
				data: { authType: 'bearer', secret: `={{ "${TOKEN.slice(0, 5)}" + "${TOKEN.slice(5)}" }}` },
			});
			workflow = await n8n.createWorkflow(
				{
					name: 'E2E cursor poll with expressions',
					nodes: [
						triggerNode(
							{
								pollIntervalSeconds: 1,
								method: 'POST',
								url: `={{ "http://127.0.0.1:${api.port}/changes?kind=" + "x" }}`,
								authentication: 'hybridSyncHttpAuthApi',
								queryParameters: { parameters: [{ name: 'limit', value: '={{ String(2 + 2) }}' }] },
								headerParameters: {
									parameters: [{ name: 'X-Tenant', value: '={{ "tenant-" + 7 }}' }],
								},
								body: '={{ JSON.stringify({ scope: "orders" + "-eu" }) }}',
								recordsPath: 'data',
								cursorPath: 'updatedAt',
								paginationStyle: 'nextCursorField',
								firstRun: 'backfillFrom',
								backfillFrom: new Date(base - 60_000).toISOString(),
							},
							{ hybridSyncHttpAuthApi: { id: 'HTTP_AUTH', name: credential.name } },
						),
					],
					connections: {},
					settings: { executionOrder: 'v1' },
				},
				{ HTTP_AUTH: credential },
			);
			await n8n.activateWorkflow(workflow);
		});

		afterAll(async () => {
			await api?.close();
		});

		it('polls with every expression evaluated and emits each record once', async () => {
			// The first poll's execution: a failure shows with its message instead of a timeout.
			const executions = await n8n.waitForExecutions(workflow.id, 1);

			const first = api.requests[0];
			expect(await failureMessages(n8n, executions)).toEqual([]);
			expect(await emittedIds(n8n, workflow)).toEqual(records.map(({ id }) => id));
			expect(first).toMatchObject({
				method: 'POST',
				path: '/changes',
				status: 200,
				body: '{"scope":"orders-eu"}',
			});
			expect(first.query).toMatchObject({ kind: 'x', limit: '4' });
			expect(first.headers['x-tenant']).toBe('tenant-7');
		});

		it('fetches a test event with the same expressions (a manual run)', async () => {
			const { executionId } = await n8n.rest<{ executionId: string }>(
				'POST',
				`/workflows/${workflow.id}/run`,
				{ triggerToStartFrom: { name: TRIGGER } },
			);
			await waitFor('the manual execution to finish', async () => {
				const summaries = await n8n.listExecutions(workflow.id);
				const manual = summaries.find(({ id }) => id === executionId);
				return manual !== undefined && isTerminalExecutionStatus(manual.status);
			});
			const execution = await n8n.getExecution(executionId);

			expect(execution.data.resultData.error?.message).toBeUndefined();
			expect(execution).toMatchObject({ mode: 'manual', status: 'success' });
			// The active trigger committed every record: the sample is the newest one.
			expect(nodeOutput(execution, TRIGGER).map(({ id }) => id)).toEqual(['rec-5']);
		});
	});

	describe('against an API that answers at most 5 records and shares one timestamp among 12', () => {
		const tieAt = base + 60_000;
		/** 12 records share one timestamp, 3 come later; `updated_since` >=, sorted by time then id. */
		const shared = [
			...Array.from({ length: 12 }, (_, index) => ({
				id: `tie-${String(index).padStart(2, '0')}`,
				updatedAt: tieAt,
			})),
			...[1, 2, 3].map((step) => ({ id: `later-${step}`, updatedAt: tieAt + step * 1000 })),
		];
		const cappedApi = async () =>
			await startMockChangesApi({ records: shared, responseLimit: 5, tieBreakParam: 'after_id' });
		const paginationNone = (url: string, extra: INode['parameters'] = {}) =>
			triggerNode({
				pollIntervalSeconds: 1,
				url,
				recordsPath: '',
				cursorPath: 'updatedAt',
				paginationStyle: 'none',
				firstRun: 'backfillFrom',
				backfillFrom: new Date(base).toISOString(),
				...extra,
			});

		it('shows the stall as a failed execution naming the cursor, the count and the fix', async () => {
			const api = await cappedApi();
			try {
				const workflow = await n8n.createWorkflow({
					name: 'E2E cursor poll stalled',
					nodes: [paginationNone(`${api.url}/changes/none`)],
					connections: {},
				});
				await n8n.activateWorkflow(workflow);

				const executions = await n8n.waitForExecutions(workflow.id, 2);

				const failed = executions.filter(({ status }) => status === 'error');
				expect(failed.length).toBeGreaterThan(0);
				expect(await failureMessages(n8n, failed.slice(-1))).toEqual([
					`The cursor cannot advance past ${new Date(tieAt).toISOString()}: 5 records seen sharing that value, and the API answered only records already emitted while it holds later ones: more records share this value than one response holds. Fix: configure Pagination so the poll reads past them, or ask for a bigger page (a limit query parameter), or set Tie-Break Query Parameter if the API accepts the last id (e.g. after_id).`,
				]);
				expect(await emittedIds(n8n, workflow)).toEqual(shared.slice(0, 5).map(({ id }) => id));
				// Reported, not deactivated: the trigger keeps polling and recovers once fixed upstream.
				expect(await n8n.isActive(workflow.id)).toBe(true);
			} finally {
				await api.close();
			}
		});

		it('delivers all 15 records exactly once with the tie-break parameter', async () => {
			const api = await cappedApi();
			try {
				const workflow = await n8n.createWorkflow({
					name: 'E2E cursor poll tie-break',
					nodes: [paginationNone(`${api.url}/changes/none`, { tieBreakParam: 'after_id' })],
					connections: {},
				});
				await n8n.activateWorkflow(workflow);

				await waitFor(
					'15 records emitted',
					async () => (await emittedIds(n8n, workflow)).length >= 15,
				);
				// Three more polls with nothing new: nothing may come twice.
				const requestsAtEnd = api.requests.length;
				await waitFor('three idle polls', () => api.requests.length >= requestsAtEnd + 3);
				const executions = await n8n.waitForExecutions(workflow.id, 1);

				expect(await emittedIds(n8n, workflow)).toEqual(shared.map(({ id }) => id));
				expect(await failureMessages(n8n, executions)).toEqual([]);
				expect(api.requests.some(({ query }) => query.after_id === 'tie-04')).toBe(true);
			} finally {
				await api.close();
			}
		});
	});

	describe('feeding a bulk sink one item per page', () => {
		let api: MockChangesApi;
		let sink: RecordingEndpoint;
		let workflow: CreatedWorkflow;

		beforeAll(async () => {
			api = await startMockChangesApi({
				records: [...records, ...records.map((r) => ({ ...r, id: `${r.id}-b` }))],
			});
			// Every write of the first poll's run fails (its 3 pages were the API's first 3 requests; the
			// next poll starts only after that run ended): the pages must come again, since the cursor
			// waits for a successful run.
			sink = await startRecordingEndpoint(() =>
				api.requests.length <= 3
					? { status: 500, body: { error: 'down' } }
					: { status: 200, body: {} },
			);
			workflow = await n8n.createWorkflow({
				name: 'E2E cursor poll page items',
				nodes: [
					triggerNode({
						pollIntervalSeconds: 1,
						url: `${api.url}/changes/cursor`,
						queryParameters: { parameters: [{ name: 'limit', value: '4' }] },
						recordsPath: 'data',
						cursorPath: 'updatedAt',
						paginationStyle: 'nextCursorField',
						outputItems: 'page',
						firstRun: 'backfillFrom',
						backfillFrom: new Date(base - 60_000).toISOString(),
					}),
					{
						id: randomUUID(),
						name: 'Bulk Write',
						type: 'n8n-nodes-base.httpRequest',
						typeVersion: 4.2,
						position: [260, 0],
						// One write per page item: the page's records in one request.
						parameters: {
							method: 'POST',
							url: `${sink.url}/bulk`,
							sendBody: true,
							specifyBody: 'json',
							jsonBody: '={{ JSON.stringify({ ids: $json.records.map((record) => record.id) }) }}',
							options: {},
						},
					},
				],
				connections: { [TRIGGER]: { main: [[{ node: 'Bulk Write', type: 'main', index: 0 }]] } },
				settings: { executionOrder: 'v1' },
			});
			await n8n.activateWorkflow(workflow);
		});

		afterAll(async () => {
			await api?.close();
			await sink?.close();
		});

		it('writes every page once after the failed run got the same pages again', async () => {
			const written = () =>
				sink.requests
					.filter(({ status }) => status === 200)
					.flatMap(({ body }) => (body as { ids: string[] }).ids);
			await waitFor('12 records written', () => written().length >= 12);
			const executions = await n8n.waitForExecutions(workflow.id, 2);
			const succeeded = executions.find(({ status }) => status === 'success');

			const pageItems = nodeOutput(await n8n.getExecution(succeeded!.id), TRIGGER);
			expect([...written()].sort()).toEqual(
				api
					.records()
					.map(({ id }) => id)
					.sort(),
			);
			expect(executions.map(({ status }) => status).sort()).toEqual(['error', 'success']);
			expect(pageItems.map(({ count, page }) => [page, count])).toEqual([
				[1, 4],
				[2, 4],
				[3, 4],
			]);
		});
	});
});
