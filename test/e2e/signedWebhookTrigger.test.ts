import { randomUUID } from 'node:crypto';

import { N8nInstance, nodeOutput, type CreatedWorkflow } from './harness';
import { stripeDelivery as signedStripe } from './stripeDelivery';

/**
 * The Signed Webhook Trigger inside a real n8n: real HTTP deliveries, executions counted through
 * n8n's own REST API, and the dedup record surviving an n8n restart.
 */

const SECRET = 'whsec_e2e_stripe_signing_secret';
const PATH = 'e2e-stripe-events';
const TRIGGER = 'Stripe Events';

const stripeDelivery = (body: string, options: { secret?: string; timestamp?: number } = {}) =>
	signedStripe(body, options.secret ?? SECRET, options.timestamp);

const stripeEvent = (id: string, type = 'payment_intent.succeeded') =>
	JSON.stringify({ id, object: 'event', type, created: 1767225600, data: { object: { id: 'pi_1', amount: 4200 } } });

describe('Signed Webhook Trigger in a real n8n', () => {
	let n8n: N8nInstance;
	let workflow: CreatedWorkflow;
	let url: string;

	const post = async (request: RequestInit) => {
		const response = await fetch(url, request);
		return { status: response.status, body: (await response.json()) as Record<string, unknown> };
	};

	beforeAll(async () => {
		n8n = await N8nInstance.start();
		const credential = await n8n.createCredential({
			name: 'Stripe signing secret',
			type: 'webhookSigningSecretApi',
			data: { secret: SECRET, previousSecrets: '' },
		});
		workflow = await n8n.createWorkflow(
			{
				name: 'E2E signed webhook',
				nodes: [
					{
						id: randomUUID(),
						name: TRIGGER,
						type: 'n8n-nodes-hybrid-sync.signedWebhookTrigger',
						typeVersion: 1,
						position: [0, 0],
						webhookId: randomUUID(),
						parameters: { path: PATH, scheme: 'stripe', deliveryOptions: { maxBodyKb: 4 } },
						credentials: { webhookSigningSecretApi: { id: 'SIGNING_SECRET', name: 'Stripe signing secret' } },
					},
				],
				connections: {},
			},
			{ SIGNING_SECRET: credential },
		);
		await n8n.activateWorkflow(workflow);
		url = n8n.webhookUrl(PATH);
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	it('runs one successful execution for a valid delivery, whose output is the envelope', async () => {
		const response = await post(stripeDelivery(stripeEvent('evt_valid_1')));

		expect(response).toEqual({ status: 200, body: { received: true, id: 'evt_valid_1' } });
		const [execution] = await n8n.waitForExecutions(workflow.id, 1);
		expect(execution.status).toBe('success');
		const [item] = nodeOutput(await n8n.getExecution(execution.id), TRIGGER);
		expect(item).toMatchObject({
			id: 'evt_valid_1',
			type: 'payment_intent.succeeded',
			source: 'webhook',
			scheme: 'stripe',
			data: { id: 'evt_valid_1', data: { object: { amount: 4200 } } },
		});
		expect(new Date(item.occurredAt as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
		expect(new Date(item.receivedAt as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
	});

	it('answers bad input with the documented status and starts no execution', async () => {
		const before = (await n8n.listExecutions(workflow.id)).length;

		const badSignature = await post(stripeDelivery(stripeEvent('evt_bad_sig'), { secret: 'whsec_wrong' }));
		const stale = await post(
			stripeDelivery(stripeEvent('evt_stale'), { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
		);
		const malformed = await post(stripeDelivery('{"id": "evt_malformed", '));
		const oversized = await post(stripeDelivery(stripeEvent('evt_big').replace('"pi_1"', `"${'x'.repeat(5000)}"`)));
		const unsigned = await post({ method: 'POST', headers: { 'content-type': 'application/json' }, body: stripeEvent('evt_unsigned') });

		expect(badSignature).toMatchObject({ status: 401, body: { error: 'signatureInvalid' } });
		expect(stale).toMatchObject({ status: 401, body: { error: 'timestampOutOfTolerance' } });
		expect(stale.body.message).toMatch(/too old/i);
		expect(malformed).toMatchObject({ status: 400, body: { error: 'bodyUnparseable' } });
		expect(oversized).toMatchObject({ status: 413, body: { error: 'bodyTooLarge' } });
		expect(unsigned).toMatchObject({ status: 401, body: { error: 'signatureInvalid' } });
		for (const response of [badSignature, stale, malformed, oversized, unsigned]) {
			expect(JSON.stringify(response.body)).not.toContain(SECRET);
		}
		// Nothing was queued: a rejected delivery never reaches the execution engine.
		await new Promise((resolve) => setTimeout(resolve, 2000));
		expect(await n8n.listExecutions(workflow.id)).toHaveLength(before);
	});

	it('turns 20 deliveries of one event, 10 of them at once, into exactly one execution', async () => {
		const before = (await n8n.listExecutions(workflow.id)).length;
		const body = stripeEvent('evt_redelivered');

		const concurrent = await Promise.all(Array.from({ length: 10 }, () => post(stripeDelivery(body))));
		const sequential = [];
		for (let attempt = 0; attempt < 10; attempt++) sequential.push(await post(stripeDelivery(body)));
		const responses = [...concurrent, ...sequential];

		expect(responses.every((response) => response.status === 200)).toBe(true);
		expect(responses.filter((response) => response.body.duplicate === true)).toHaveLength(19);
		await n8n.waitForExecutions(workflow.id, before + 1);
		await new Promise((resolve) => setTimeout(resolve, 2000));
		const executions = await n8n.listExecutions(workflow.id);
		expect(executions).toHaveLength(before + 1);
		const newest = await n8n.getExecution(executions[0].id);
		expect(nodeOutput(newest, TRIGGER)[0].id).toBe('evt_redelivered');
	});

	it('still recognises a repeat after n8n restarts', async () => {
		const before = (await n8n.listExecutions(workflow.id)).length;

		await n8n.restart();
		const repeat = await post(stripeDelivery(stripeEvent('evt_redelivered')));
		const fresh = await post(stripeDelivery(stripeEvent('evt_after_restart')));

		expect(repeat).toMatchObject({ status: 200, body: { received: true, duplicate: true, id: 'evt_redelivered' } });
		expect(fresh).toEqual({ status: 200, body: { received: true, id: 'evt_after_restart' } });
		await n8n.waitForExecutions(workflow.id, before + 1);
		await new Promise((resolve) => setTimeout(resolve, 2000));
		expect(await n8n.listExecutions(workflow.id)).toHaveLength(before + 1);
	});
});
