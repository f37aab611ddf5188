import { randomUUID } from 'node:crypto';

import type { INode } from 'n8n-workflow';

import { startMockChangesApi, type MockChangesApi } from '../support/mockChangesApi';
import {
	N8nInstance,
	nodeOutput,
	type CreatedCredential,
	type CreatedWorkflow,
	type ExecutionSummary,
} from './harness';

/**
 * The Cursor Poll Trigger as new users set it up, in a real n8n under its default expression
 * engine (no N8N_EXPRESSION_ENGINE override): parameters written as expressions.
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
	});
});
