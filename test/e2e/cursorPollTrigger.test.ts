import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

import { startMockChangesApi, type MockChangesApi } from '../support/mockChangesApi';
import { listenLocally } from '../support/localServer';
import { waitFor } from '../support/waitFor';
import { N8nInstance, type CreatedWorkflow } from './harness';

/**
 * The Cursor Poll Trigger inside a real n8n, against a local changes API: ties on the timestamp
 * straddle pages and polls, a downstream step fails once (the records must come again because the
 * cursor is committed only after a successful run), and n8n restarts midway.
 */

/** Accepts the record ids of one run; fails the first request, then counts successes per id. */
async function startSink() {
	const succeeded = new Map<string, number>();
	let calls = 0;
	const server: Server = createServer((request, response) => {
		let text = '';
		request.on('data', (chunk: Buffer) => (text += chunk.toString()));
		request.on('end', () => {
			calls++;
			if (calls === 1) {
				response.writeHead(500).end('{"error":"first call fails"}');
				return;
			}
			const ids = JSON.parse((JSON.parse(text) as { ids: string }).ids) as string[];
			for (const id of ids) succeeded.set(id, (succeeded.get(id) ?? 0) + 1);
			response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
		});
	});
	const { origin, close } = await listenLocally(server);
	return { url: `${origin}/sink`, succeeded, calls: () => calls, close };
}

describe('Cursor Poll Trigger in a real n8n', () => {
	let n8n: N8nInstance;
	let api: MockChangesApi;
	let sink: Awaited<ReturnType<typeof startSink>>;
	let workflow: CreatedWorkflow;
	const base = Date.now() - 10 * 60_000;
	/** Three records per timestamp: ties straddle the 4-record pages and the 2-page polls. */
	const batch = (prefix: string, count: number, from: number) =>
		Array.from({ length: count }, (_, i) => ({
			id: `${prefix}-${String(i).padStart(3, '0')}`,
			updatedAt: from + Math.floor(i / 3) * 1000,
			total: 10 * i,
		}));

	beforeAll(async () => {
		api = await startMockChangesApi({ records: batch('order', 25, base) });
		sink = await startSink();
		n8n = await N8nInstance.start();
		workflow = await n8n.createWorkflow({
			name: 'E2E cursor poll',
			nodes: [
				{
					id: randomUUID(),
					name: 'Order Changes',
					type: 'n8n-nodes-hybrid-sync.cursorPollTrigger',
					typeVersion: 1,
					position: [0, 0],
					parameters: {
						pollIntervalSeconds: 1,
						url: `${api.url}/changes/cursor`,
						queryParameters: { parameters: [{ name: 'limit', value: '4' }] },
						recordsPath: 'data',
						cursorPath: 'updatedAt',
						idPath: 'id',
						paginationStyle: 'nextCursorField',
						nextCursorPath: 'next_cursor',
						nextCursorParam: 'cursor',
						maxPages: 2,
						firstRun: 'backfillFrom',
						backfillFrom: new Date(base - 60_000).toISOString(),
					},
				},
				{
					id: randomUUID(),
					name: 'Deliver',
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: 4.2,
					position: [260, 0],
					// One call per run with every record's id: the run fails or succeeds as a whole.
					executeOnce: true,
					parameters: {
						method: 'POST',
						url: sink.url,
						sendBody: true,
						bodyParameters: {
							parameters: [
								{
									name: 'ids',
									value: '={{ JSON.stringify($input.all().map((item) => item.json.id)) }}',
								},
							],
						},
						options: {},
					},
				},
			],
			connections: {
				'Order Changes': { main: [[{ node: 'Deliver', type: 'main', index: 0 }]] },
			},
			settings: { executionOrder: 'v1' },
		});
		await n8n.activateWorkflow(workflow);
	});

	afterAll(async () => {
		await n8n?.stop();
		await api?.close();
		await sink?.close();
	});

	it("delivers every record once, the failed run's records coming again", async () => {
		await waitFor('25 records delivered', () => sink.succeeded.size === 25);

		expect(Object.fromEntries([...sink.succeeded].filter(([, count]) => count > 1))).toEqual({});
		// The sink counts a run's records before n8n marks that run finished: wait for the runs, then
		// count them (the failed one and at least four that succeeded).
		const executions = await n8n.waitForExecutions(workflow.id, 5);
		expect(executions.some((execution) => execution.status === 'error')).toBe(true);
		// Pages of 4 and at most 2 per poll: the 25 records needed several polls.
		expect(
			executions.filter((execution) => execution.status === 'success').length,
		).toBeGreaterThanOrEqual(4);
	});

	it('resumes from the committed cursor after a restart, losing nothing', async () => {
		await n8n.restart();
		api.insert(batch('late', 10, Date.now() - 60_000));

		await waitFor('35 records delivered', () => sink.succeeded.size === 35);
		await new Promise((resolve) => setTimeout(resolve, 3000));

		expect(sink.succeeded.size).toBe(35);
		// At-least-once: a restart between a run's success and its commit may repeat that one batch.
		const repeats = [...sink.succeeded.values()].filter((count) => count > 1).length;
		expect(repeats).toBeLessThanOrEqual(8);
		expect(api.requests.some((request) => request.query.cursor !== undefined)).toBe(true);
	});
});
