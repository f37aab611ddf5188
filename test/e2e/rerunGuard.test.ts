import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { IDataObject, INode, ITaskData } from 'n8n-workflow';

import { EmbeddedStore } from '../../lib/store/EmbeddedStore';
import { type RecordingEndpoint, startRecordingEndpoint } from '../support/recordingEndpoint';
import { waitFor } from '../support/waitFor';
import { businessStepNode, idempotencyCheckNode, node, workflow } from '../support/workflowBuilder';
import { type CreatedWorkflow, type ExecutionDetail, N8nInstance } from './harness';
import { waitForFinishedExecutions } from './harness/executionCounts';
import { outputItems } from './harness/templates';
import { stripeDelivery } from './stripeDelivery';

/**
 * Issue 11, item 5 in a real n8n: a re-run of an execution does the business step once. The
 * Signed Webhook Trigger (version 3, inbox mode) claims each event before the run and puts the
 * claim's token on the item. A re-run of a successful execution (here the editor's "Execute
 * workflow" on the trigger's saved data; a queue retrying a stalled job replays the same item)
 * carries that old item and token. An Idempotency Check Claim placed before the business step,
 * sending the item's token, is the guard: the first run holds the key with that token and goes
 * on through New; once Complete finished the key, the re-run leaves through Duplicate.
 */

const SECRET = 'whsec_e2e_rerun_guard_secret';
const TRIGGER = 'Stripe Events';
const GUARD = 'Re-run Guard';
const PATH = 'e2e-rerun-guard';
const NAMESPACE = `webhook:${PATH}`;
const FINISHED_TIMEOUT_MS = 60_000;
/** The Claim's outputs, in order (nodes/IdempotencyCheck/outputs.ts). */
const [NEW, DUPLICATE] = [0, 1];

const paymentEvent = (id: string) =>
	JSON.stringify({
		id,
		object: 'event',
		type: 'payment_intent.succeeded',
		created: Math.floor(Date.now() / 1000),
		data: { object: { id: `pi_${id}`, amount: 4200, currency: 'eur' } },
	});

/** Trigger (version 3) -> Claim with the item's token -> business step -> Complete. */
function guardedWorkflow(apiUrl: string) {
	const trigger: INode = {
		...node(
			TRIGGER,
			'n8n-nodes-hybrid-sync.signedWebhookTrigger',
			3,
			{ path: PATH, scheme: 'stripe' },
			[0, 0],
		),
		webhookId: PATH,
		credentials: {
			webhookSigningSecretApi: { id: 'SIGNING_SECRET', name: 'Stripe signing secret' },
		},
	};
	const business = businessStepNode(
		'Call Business API',
		`${apiUrl}/charges`,
		'={{ $json.id }}',
		[440, 0],
	);
	const claimOfTrigger = {
		key: `={{ $('${TRIGGER}').item.json.id }}`,
		namespace: NAMESPACE,
		fencing: `={{ $('${TRIGGER}').item.json.idempotency.token }}`,
	};
	return workflow(
		'Re-run guard',
		[
			trigger,
			// Key and Fencing Token keep their defaults: the trigger's item holds both.
			idempotencyCheckNode(GUARD, { operation: 'claim', namespace: NAMESPACE }, [220, 0]),
			business,
			idempotencyCheckNode('Mark Done', { operation: 'complete', ...claimOfTrigger }, [660, 0]),
		],
		[
			[TRIGGER, GUARD],
			[GUARD, 'Call Business API'],
			['Call Business API', 'Mark Done'],
		],
	);
}

describe('Re-run guard: a Claim before the business step', () => {
	const storeFolder = mkdtempSync(join(tmpdir(), 'hybrid-sync-e2e-rerun-'));
	const storePath = join(storeFolder, 'store.sqlite');
	let n8n: N8nInstance;
	let api: RecordingEndpoint;
	let flow: CreatedWorkflow;

	const callsFor = (eventId: string) =>
		api.requests.filter((request) => (request.body as IDataObject).eventId === eventId).length;

	/** What the editor sends for "Execute workflow" on a trigger that holds an execution's data. */
	const rerun = async (executionId: string) => {
		const original = await n8n.getExecution(executionId);
		const { executionId: rerunId } = await n8n.rest<{ executionId: string }>(
			'POST',
			`/workflows/${flow.id}/run`,
			{
				triggerToStartFrom: {
					name: TRIGGER,
					data: original.data.resultData.runData[TRIGGER][0] as ITaskData,
				},
			},
		);
		let finished = await n8n.getExecution(rerunId);
		await waitFor('the re-run to finish', async () => {
			finished = await n8n.getExecution(rerunId);
			return ['success', 'error', 'crashed'].includes(finished.status);
		});
		return finished;
	};

	beforeAll(async () => {
		// The business API fails its first call for events named "fails-once", then succeeds.
		api = await startRecordingEndpoint(({ body }) => {
			const { eventId } = body as { eventId: string };
			return eventId.includes('fails-once') && callsFor(eventId) === 0
				? { status: 500, body: { error: 'temporarily unavailable' } }
				: { status: 201, body: { charged: true } };
		});
		n8n = await N8nInstance.start({ env: { HYBRID_SYNC_STORE_PATH: storePath } });
		const credential = await n8n.createCredential({
			name: 'Stripe signing secret',
			type: 'webhookSigningSecretApi',
			data: { secret: SECRET, previousSecrets: '' },
		});
		flow = await n8n.createWorkflow(guardedWorkflow(api.url), { SIGNING_SECRET: credential });
		await n8n.activateWorkflow(flow);
	});

	afterAll(async () => {
		await n8n?.stop();
		await api?.close();
		rmSync(storeFolder, { recursive: true, force: true });
	});

	/** Sends the event and answers the execution it started. */
	const deliver = async (eventId: string) => {
		const before = (await n8n.listExecutions(flow.id)).length;
		const answer = await fetch(n8n.webhookUrl(PATH), stripeDelivery(paymentEvent(eventId), SECRET));
		expect(answer.status).toBe(200);
		await waitForFinishedExecutions(n8n, flow.id, before + 1, FINISHED_TIMEOUT_MS);
		const [latest] = await n8n.listExecutions(flow.id);
		return await n8n.getExecution(latest.id);
	};
	const tokenOf = (execution: ExecutionDetail) =>
		(outputItems(execution, TRIGGER)[0].idempotency as IDataObject).token;
	const inspect = async (eventId: string) => {
		const store = new EmbeddedStore({ path: storePath });
		try {
			return (await store.inspect(NAMESPACE, [eventId]))[0];
		} finally {
			await store.close();
		}
	};

	it('lets the first run through with no extra attempt, and sends a re-run of the finished execution to Duplicate', async () => {
		const firstRun = await deliver('evt_rerun_1');
		const token = tokenOf(firstRun);
		expect(firstRun.status).toBe('success');

		expect(outputItems(firstRun, GUARD, NEW).map((item) => item.idempotency)).toEqual([
			expect.objectContaining({ status: 'claimed', attempts: 1, token }),
		]);
		expect(callsFor('evt_rerun_1')).toBe(1);

		const again = await rerun(firstRun.id);

		expect(again).toMatchObject({ mode: 'manual', status: 'success' });
		expect(outputItems(again, GUARD, NEW)).toEqual([]);
		expect(outputItems(again, GUARD, DUPLICATE).map((item) => item.idempotency)).toEqual([
			expect.objectContaining({ status: 'duplicate', state: 'completed' }),
		]);
		expect(again.data.resultData.runData['Call Business API']).toBeUndefined();
		expect(callsFor('evt_rerun_1')).toBe(1);
		expect(await inspect('evt_rerun_1')).toMatchObject({
			state: 'completed',
			attempts: 1,
			crashes: 0,
			token,
		});
	});

	it('lets a re-run of a failed execution that still holds the claim do the step, once; a re-run after that is a duplicate', async () => {
		const failed = await deliver('evt_rerun_fails-once');
		const token = tokenOf(failed);
		expect(failed.status).toBe('error');
		expect(await inspect('evt_rerun_fails-once')).toMatchObject({ state: 'inProgress', token });

		const retried = await rerun(failed.id);
		const last = await rerun(failed.id);

		expect(retried.status).toBe('success');
		expect(outputItems(retried, GUARD, NEW).map((item) => item.idempotency)).toEqual([
			expect.objectContaining({ status: 'claimed', attempts: 1, token }),
		]);
		expect(outputItems(last, GUARD, DUPLICATE)).toHaveLength(1);
		expect(
			api.requests
				.filter((request) => (request.body as IDataObject).eventId === 'evt_rerun_fails-once')
				.map(({ status }) => status),
		).toEqual([500, 201]);
		expect(await inspect('evt_rerun_fails-once')).toMatchObject({
			state: 'completed',
			attempts: 1,
			crashes: 0,
			token,
		});
	});
});
