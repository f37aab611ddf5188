import type { IDataObject } from 'n8n-workflow';

import {
	codeNode,
	idempotencyCheckNode,
	inARow,
	node,
	reconcileNode,
	twoInputsWorkflow,
	webhookNode,
	workflow,
} from '../support/workflowBuilder';
import { type ExecutionDetail, N8nInstance } from './harness';

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

const matchOn = { values: [{ field1: 'sku', field2: 'sku' }] };

const compareWorkflow = twoInputsWorkflow(
	'Reconcile compare inputs e2e',
	COMPARE_PATH,
	{
		a: 'return $input.first().json.body.a.map((json) => ({ json }));',
		b: 'return $input.first().json.body.b.map((json) => ({ json }));',
	},
	[
		reconcileNode(
			'Reconcile',
			{ mode: 'compareInputs', mergeByFields: matchOn, options: { skipFields: 'synced_at' } },
			[400, 0],
		),
		node(
			'Compare Datasets',
			'n8n-nodes-base.compareDatasets',
			2.3,
			{ mergeByFields: matchOn, options: { skipFields: 'synced_at' } },
			[400, 200],
		),
	],
);

const sweepWorkflow = workflow(
	'Reconcile against store e2e',
	[
		webhookNode(SWEEP_PATH),
		codeNode(
			'Handled Before',
			'return $input.first().json.body.handled.map((id) => ({ json: { id } }));',
			[200, -100],
		),
		idempotencyCheckNode('Claim', { operation: 'claim', namespace: 'e2e-orders' }, [400, -100]),
		idempotencyCheckNode(
			'Complete',
			{ operation: 'complete', namespace: 'e2e-orders' },
			[600, -100],
		),
		codeNode(
			'Source Window',
			"return $('Webhook').first().json.body.window.map((id) => ({ json: { id, total: 10 } }));",
			[800, -100],
		),
		reconcileNode(
			'Reconcile',
			{ namespace: 'e2e-orders', window: '={{ "sweep " + $now.toISODate() }}' },
			[1000, -100],
		),
	],
	inARow('Webhook', 'Handled Before', 'Claim', 'Complete', 'Source Window', 'Reconcile'),
);

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
		const execution = await n8n.getExecution(summary.id);
		const outputs = outputsOf(execution, 'Reconcile');

		expect(summary.status).toBe('success');
		// Complete read each claim's fencing token off its item through the parameter's default.
		const claimTokens = outputsOf(execution, 'Claim')[0].map(
			(item) => (item.idempotency as IDataObject).token,
		);
		const completed = outputsOf(execution, 'Complete')[0].map(
			(item) => item.idempotency as IDataObject,
		);
		expect(completed.map((record) => record.status)).toEqual(claimTokens.map(() => 'completed'));
		expect(completed.map((record) => record.token)).toEqual(claimTokens);
		expect(new Set(claimTokens).size).toBe(18);
		expect(outputs).toHaveLength(7);
		expect(outputs[0].map((item) => item.id)).toEqual(['order-3', 'order-13']);
		expect(outputs[0][0].reconcile).toEqual({
			status: 'missing',
			key: 'order-3',
			namespace: 'e2e-orders',
			claimed: true,
		});
		expect(outputs[0][0].idempotency).toEqual({
			status: 'claimed',
			key: 'order-3',
			namespace: 'e2e-orders',
			token: expect.stringMatching(/^[0-9a-f-]{36}$/),
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
