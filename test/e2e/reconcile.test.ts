import type { IDataObject } from 'n8n-workflow';

import { type ExecutionDetail, N8nInstance, type WorkflowDefinition } from './harness';

/**
 * The Reconcile node loaded from the installed package in a real n8n: Compare Inputs beside n8n's
 * own Compare Datasets on the same two inputs, and Against Store after an Idempotency Check
 * handled part of a window, both started by a webhook.
 */

const COMPARE_PATH = 'reconcile-compare';
const SWEEP_PATH = 'reconcile-sweep';

/** Every output of a node's last run, as JSON. */
function outputsOf(execution: ExecutionDetail, nodeName: string): IDataObject[][] {
	const runs = execution.data.resultData.runData[nodeName];
	if (!runs?.length) throw new Error(`Node "${nodeName}" did not run in execution ${execution.id}`);
	return (runs[runs.length - 1].data?.main ?? []).map((items) =>
		(items ?? []).map((item) => item.json),
	);
}

const webhook = (id: string, path: string) => ({
	id,
	name: 'Webhook',
	type: 'n8n-nodes-base.webhook',
	typeVersion: 2,
	position: [0, 0] as [number, number],
	webhookId: `${id}-hook`,
	parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
});

const code = (id: string, name: string, jsCode: string, x: number, y: number) => ({
	id,
	name,
	type: 'n8n-nodes-base.code',
	typeVersion: 2,
	position: [x, y] as [number, number],
	parameters: { jsCode },
});

const matchOn = { values: [{ field1: 'sku', field2: 'sku' }] };

const compareWorkflow: WorkflowDefinition = {
	name: 'Reconcile compare inputs e2e',
	nodes: [
		webhook('c0a1e2d3-0000-4000-8000-000000000001', COMPARE_PATH),
		code(
			'c0a1e2d3-0000-4000-8000-000000000002',
			'Input A',
			'return $input.first().json.body.a.map((json) => ({ json }));',
			200,
			-100,
		),
		code(
			'c0a1e2d3-0000-4000-8000-000000000003',
			'Input B',
			'return $input.first().json.body.b.map((json) => ({ json }));',
			200,
			100,
		),
		{
			id: 'c0a1e2d3-0000-4000-8000-000000000004',
			name: 'Reconcile',
			type: 'n8n-nodes-hybrid-sync.reconcile',
			typeVersion: 1,
			position: [400, 0],
			parameters: {
				mode: 'compareInputs',
				mergeByFields: matchOn,
				options: { skipFields: 'synced_at' },
			},
		},
		{
			id: 'c0a1e2d3-0000-4000-8000-000000000005',
			name: 'Compare Datasets',
			type: 'n8n-nodes-base.compareDatasets',
			typeVersion: 2.3,
			position: [400, 200],
			parameters: { mergeByFields: matchOn, options: { skipFields: 'synced_at' } },
		},
	],
	connections: {
		Webhook: {
			main: [
				[
					{ node: 'Input A', type: 'main', index: 0 },
					{ node: 'Input B', type: 'main', index: 0 },
				],
			],
		},
		'Input A': {
			main: [
				[
					{ node: 'Reconcile', type: 'main', index: 0 },
					{ node: 'Compare Datasets', type: 'main', index: 0 },
				],
			],
		},
		'Input B': {
			main: [
				[
					{ node: 'Reconcile', type: 'main', index: 1 },
					{ node: 'Compare Datasets', type: 'main', index: 1 },
				],
			],
		},
	},
};

const sweepWorkflow: WorkflowDefinition = {
	name: 'Reconcile against store e2e',
	nodes: [
		webhook('5e0e2d3a-0000-4000-8000-000000000001', SWEEP_PATH),
		code(
			'5e0e2d3a-0000-4000-8000-000000000002',
			'Handled Before',
			'return $input.first().json.body.handled.map((id) => ({ json: { id } }));',
			200,
			-100,
		),
		{
			id: '5e0e2d3a-0000-4000-8000-000000000003',
			name: 'Claim',
			type: 'n8n-nodes-hybrid-sync.idempotencyCheck',
			typeVersion: 1,
			position: [400, -100],
			parameters: { operation: 'claim', namespace: 'e2e-orders' },
		},
		{
			id: '5e0e2d3a-0000-4000-8000-000000000004',
			name: 'Complete',
			type: 'n8n-nodes-hybrid-sync.idempotencyCheck',
			typeVersion: 1,
			position: [600, -100],
			parameters: { operation: 'complete', namespace: 'e2e-orders' },
		},
		code(
			'5e0e2d3a-0000-4000-8000-000000000005',
			'Source Window',
			"return $('Webhook').first().json.body.window.map((id) => ({ json: { id, total: 10 } }));",
			800,
			-100,
		),
		{
			id: '5e0e2d3a-0000-4000-8000-000000000006',
			name: 'Reconcile',
			type: 'n8n-nodes-hybrid-sync.reconcile',
			typeVersion: 1,
			position: [1000, -100],
			parameters: { namespace: 'e2e-orders', window: '={{ "sweep " + $now.toISODate() }}' },
		},
	],
	connections: {
		Webhook: { main: [[{ node: 'Handled Before', type: 'main', index: 0 }]] },
		'Handled Before': { main: [[{ node: 'Claim', type: 'main', index: 0 }]] },
		Claim: { main: [[{ node: 'Complete', type: 'main', index: 0 }]] },
		Complete: { main: [[{ node: 'Source Window', type: 'main', index: 0 }]] },
		'Source Window': { main: [[{ node: 'Reconcile', type: 'main', index: 0 }]] },
	},
};

async function post(url: string, body: unknown): Promise<void> {
	const response = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	expect(response.status).toBe(200);
}

describe('Reconcile in a real n8n', () => {
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await N8nInstance.start();
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	it('gives the same four outputs as Compare Datasets on the same inputs', async () => {
		const workflow = await n8n.createWorkflow(compareWorkflow);
		await n8n.activateWorkflow(workflow);
		const a = [
			{ sku: 'A-1', qty: 3, synced_at: 1 },
			{ sku: 'A-2', qty: 5, synced_at: 1 },
			{ sku: 'Ä-3', qty: 7, synced_at: 1 },
			{ sku: 'A-4', qty: 1, synced_at: 1 },
		];
		const b = [
			{ sku: 'A-2', qty: 5, synced_at: 2 },
			{ sku: 'Ä-3', qty: 8, synced_at: 2 },
			{ sku: 'A-5', qty: 2, synced_at: 2 },
		];

		await post(n8n.webhookUrl(COMPARE_PATH), { a, b });
		const [summary] = await n8n.waitForExecutions(workflow.id, 1);
		const execution = await n8n.getExecution(summary.id);

		expect(summary.status).toBe('success');
		const ours = outputsOf(execution, 'Reconcile');
		expect(ours).toEqual(outputsOf(execution, 'Compare Datasets'));
		expect(ours.map((items) => items.length)).toEqual([2, 1, 1, 1]);
		expect(ours[2][0]).toEqual({
			keys: { sku: 'Ä-3' },
			same: { sku: 'Ä-3' },
			different: { qty: { inputA: 7, inputB: 8 } },
			skipped: { synced_at: { inputA: 1, inputB: 2 } },
		});
	});

	it('recovers what an Idempotency Check never handled, claims it, and reports the rate', async () => {
		const workflow = await n8n.createWorkflow(sweepWorkflow);
		await n8n.activateWorkflow(workflow);
		const window = Array.from({ length: 20 }, (_, n) => `order-${n}`);

		await post(n8n.webhookUrl(SWEEP_PATH), {
			handled: window.filter((_, n) => n % 10 !== 3),
			window,
		});
		const [summary] = await n8n.waitForExecutions(workflow.id, 1);
		const outputs = outputsOf(await n8n.getExecution(summary.id), 'Reconcile');

		expect(summary.status).toBe('success');
		expect(outputs).toHaveLength(7);
		expect(outputs[0].map((item) => item.id)).toEqual(['order-3', 'order-13']);
		expect(outputs[0][0].reconcile).toEqual({
			status: 'missing',
			key: 'order-3',
			namespace: 'e2e-orders',
			claimed: true,
		});
		expect(outputs[1]).toHaveLength(18);
		expect(outputs[5]).toEqual([
			expect.objectContaining({
				window: `sweep ${new Date().toISOString().slice(0, 10)}`,
				processed: 20,
				alreadyHandled: 18,
				recovered: 2,
				recoveryRate: 0.1,
				alert: true,
			}),
		]);
		expect(outputs[6]).toEqual(outputs[5]);
	});
});
