import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type IDataObject, type INode, isTerminalExecutionStatus } from 'n8n-workflow';

import { EmbeddedStore } from '../../lib/store/EmbeddedStore';
import { listenLocally, type LocalServer } from '../support/localServer';
import { waitFor } from '../support/waitFor';
import {
	businessStepNode,
	idempotencyCheckNode,
	inARow,
	node,
	webhookNode,
	workflow,
} from '../support/workflowBuilder';
import {
	type CreatedCredential,
	type CreatedWorkflow,
	type ExecutionDetail,
	loadTemplate,
	N8nInstance,
	outputItems,
} from './harness';
import { stripeDelivery } from './stripeDelivery';

/**
 * The Webhook Inbox node in a real n8n, on the embedded store n8n uses (HYBRID_SYNC_STORE_PATH),
 * which the test fills as the Signed Webhook Trigger does: keep each delivery, claim its event.
 * Processing is a business endpoint the test can hold, so two runs provably overlap, then
 * Idempotency Check Complete with the claim's fencing token.
 */

const DAY_MS = 86_400_000;
const BOUNDS = { retentionMs: 7 * DAY_MS, maxEntries: 100_000 };
const SECRET = 'whsec_e2e_webhook_inbox_secret';
const CLAIM = { leaseMs: 5 * 60_000, maxAttempts: 3, deadLetterRetentionMs: 30 * DAY_MS };

/** A business endpoint that records each event it is called for and can hold its answers. */
class BusinessEndpoint {
	readonly calls: string[] = [];
	/** The `text` of each alert posted to /alerts. */
	readonly alerts: string[] = [];
	private held: Array<() => void> = [];
	private readonly failing = new Set<string>();
	private holding = false;
	private listening: LocalServer | undefined;
	private readonly server = createServer((request, response) => {
		let body = '';
		request.on('data', (chunk: Buffer) => (body += chunk.toString()));
		request.on('end', () => {
			const event = JSON.parse(body || '{}') as { eventId?: unknown; id?: unknown; text?: unknown };
			if (request.url === '/alerts') {
				this.alerts.push(String(event.text));
				return void response.writeHead(200).end('{}');
			}
			const eventId = String(event.eventId ?? event.id);
			this.calls.push(eventId);
			const status = this.failing.delete(eventId) ? 500 : 200;
			const answer = () =>
				response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
			if (this.holding) this.held.push(answer);
			else answer();
		});
	});

	async start(): Promise<string> {
		this.listening = await listenLocally(this.server);
		return this.listening.origin;
	}

	/** The next call for this event fails with a 500. */
	failNextCall(eventId: string): void {
		this.failing.add(eventId);
	}

	hold(): void {
		this.holding = true;
	}

	get heldCount(): number {
		return this.held.length;
	}

	releaseAll(): void {
		this.holding = false;
		for (const answer of this.held.splice(0)) answer();
	}

	callsFor(eventId: string): number {
		return this.calls.filter((call) => call === eventId).length;
	}

	async stop(): Promise<void> {
		await this.listening?.close();
	}
}

const inboxNode = (name: string, parameters: INode['parameters'], position: [number, number]) =>
	node(name, 'n8n-nodes-hybrid-sync.webhookInbox', 1, parameters, position);

describe('Webhook Inbox in a real n8n', () => {
	const business = new BusinessEndpoint();
	const storeFolder = mkdtempSync(join(tmpdir(), 'hybrid-sync-e2e-inbox-'));
	const storePath = join(storeFolder, 'store.sqlite');
	let businessOrigin: string;
	let n8n: N8nInstance;
	let store: EmbeddedStore;
	let credential: CreatedCredential;

	beforeAll(async () => {
		businessOrigin = await business.start();
		n8n = await N8nInstance.start({ env: { HYBRID_SYNC_STORE_PATH: storePath } });
		store = new EmbeddedStore({ path: storePath });
		credential = await n8n.createCredential({
			name: 'Stripe signing secret',
			type: 'webhookSigningSecretApi',
			data: { secret: SECRET, previousSecrets: '' },
		});
	});

	afterAll(async () => {
		await store?.close();
		await n8n?.stop();
		await business.stop();
		rmSync(storeFolder, { recursive: true, force: true });
	});

	afterEach(() => business.releaseAll());

	/** Each test its own webhook path, so its inbox namespace starts empty. */
	const newInbox = () => {
		const path = `inbox-${randomUUID().slice(0, 8)}`;
		return { path, namespace: `webhook:${path}` };
	};

	/** Keeps a delivery as the trigger does before its 2xx, `receivedAt` as given. */
	const keep = async (
		namespace: string,
		eventId: string,
		options: { receivedAt?: number; rawBody?: Buffer; eventType?: string } = {},
	) => {
		const eventType = options.eventType ?? 'invoice.paid';
		const path = namespace.replace(/^webhook:/, '');
		await store.inbox.keep(
			namespace,
			{
				rawBody: options.rawBody ?? Buffer.from(JSON.stringify({ id: eventId, type: eventType })),
				receivedAt: options.receivedAt ?? Date.now(),
				events: [
					{
						eventId,
						eventType,
						scheme: 'stripe',
						path,
						envelope: { id: eventId, type: eventType, source: 'webhook', data: { amount: 4200 } },
						headers: { 'content-type': 'application/json' },
					},
				],
			},
			BOUNDS,
		);
	};
	const claim = async (namespace: string, eventId: string, leaseMs = CLAIM.leaseMs) =>
		await store.claim(namespace, [{ key: eventId }], { ...CLAIM, leaseMs });
	const complete = async (namespace: string, eventId: string) =>
		await store.complete(namespace, [{ key: eventId }], { retentionMs: 7 * DAY_MS });
	const deadLetter = async (namespace: string, eventId: string) => {
		for (let attempt = 1; attempt <= CLAIM.maxAttempts; attempt++) {
			await claim(namespace, eventId);
			await store.release(namespace, [eventId], CLAIM);
		}
	};
	const inspect = async (namespace: string, eventId: string) =>
		(await store.inspect(namespace, [eventId]))[0];

	/**
	 * Webhook -> Webhook Inbox (the operation under test) -> business endpoint -> Complete with the
	 * token the inbox item holds: the processing path the Operate template wires.
	 */
	const processingWorkflow = async (
		hookPath: string,
		namespace: string,
		inbox: INode['parameters'],
	): Promise<CreatedWorkflow> => {
		const created = await n8n.createWorkflow(
			workflow(
				`Inbox ${String(inbox.operation)} ${hookPath}`,
				[
					webhookNode(hookPath),
					inboxNode('Inbox', { resource: 'delivery', ...inbox }, [200, 0]),
					businessStep(),
					idempotencyCheckNode(
						'Mark Done',
						{
							operation: 'complete',
							key: "={{ $('Inbox').item.json.id }}",
							namespace,
							fencing: "={{ $('Inbox').item.json.idempotency.token }}",
						},
						[600, 0],
					),
				],
				inARow('Webhook', 'Inbox', 'Business Step', 'Mark Done'),
			),
		);
		await n8n.activateWorkflow(created);
		return created;
	};

	/** Calls the business endpoint for the item's event (`id`, as the trigger and the inbox emit it). */
	const businessStep = (eventId = '={{ $json.id }}') =>
		businessStepNode('Business Step', `${businessOrigin}/events`, eventId, [400, 0]);

	/**
	 * A version 3 Signed Webhook Trigger on `path` (Keep and Claim into the inbox this test reads)
	 * -> business step; no Complete or Release, so a run that fails leaves its claim to run out.
	 */
	const intakeWorkflow = async (path: string, leaseMinutes = 5): Promise<CreatedWorkflow> => {
		const created = await n8n.createWorkflow(
			workflow(
				`Intake ${path}`,
				[
					{
						...node(
							'Stripe Events',
							'n8n-nodes-hybrid-sync.signedWebhookTrigger',
							3,
							{ path, scheme: 'stripe', leaseMinutes },
							[0, 0],
						),
						webhookId: path,
						credentials: {
							webhookSigningSecretApi: { id: 'SIGNING_SECRET', name: credential.name },
						},
					},
					businessStep(),
				],
				inARow('Stripe Events', 'Business Step'),
			),
			{ SIGNING_SECRET: credential },
		);
		await n8n.activateWorkflow(created);
		return created;
	};

	/** A signed Stripe delivery of one event, as the sender sends it (and retries it). */
	const stripeEvent = (eventId: string) =>
		stripeDelivery(
			JSON.stringify({
				id: eventId,
				object: 'event',
				type: 'payment_intent.succeeded',
				created: Math.floor(Date.now() / 1000),
				data: { object: { id: `pi_${eventId}`, amount: 4200, currency: 'eur', note: 'Grüße 🌍' } },
			}),
			SECRET,
		);

	/** Starts one run of a webhook-started workflow; answers once n8n accepted it. */
	const start = async (hookPath: string, body: IDataObject = {}) => {
		const response = await fetch(n8n.webhookUrl(hookPath), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		expect(response.status).toBe(200);
	};

	/** Every item the Inbox node put on `output` over all finished executions of the workflow. */
	const inboxItems = async (created: CreatedWorkflow, runs: number, output: number) => {
		const executions = await n8n.waitForExecutions(created.id, runs);
		expect(executions.map((execution) => execution.status)).toEqual(
			executions.map(() => 'success'),
		);
		const details = await Promise.all(executions.map(async (e) => await n8n.getExecution(e.id)));
		return details.flatMap((detail) => outputItems(detail, 'Inbox', output));
	};

	describe('Recover Stuck', () => {
		it('re-emits a crashed claim and a delivery never claimed exactly once while two sweeps overlap, and counts the crash', async () => {
			const { path, namespace } = newInbox();
			const past = Date.now() - 10 * 60_000;
			await keep(namespace, 'evt_crashed', { receivedAt: past });
			await keep(namespace, 'evt_never_claimed', { receivedAt: past });
			await keep(namespace, 'evt_done', { receivedAt: past });
			await keep(namespace, 'evt_running', { receivedAt: past });
			// A run that died: its 1 ms lease is over by the time a sweep looks.
			await claim(namespace, 'evt_crashed', 1);
			await claim(namespace, 'evt_done');
			await complete(namespace, 'evt_done');
			await claim(namespace, 'evt_running');
			const sweep = await processingWorkflow(`${path}-sweep`, namespace, {
				operation: 'recoverStuck',
				path,
				graceMinutes: 1,
			});

			// The first sweep's runs are held in the business step, so the second sweeps meanwhile.
			business.hold();
			await start(`${path}-sweep`);
			await waitFor('the first sweep to reach the business step', () => business.heldCount > 0);
			await start(`${path}-sweep`);
			await waitFor('the second sweep to finish', async () =>
				(await n8n.listExecutions(sweep.id)).some((execution) => execution.status === 'success'),
			);
			business.releaseAll();

			const recovered = await inboxItems(sweep, 2, 0);
			expect(recovered.map((item) => item.id).sort()).toEqual(['evt_crashed', 'evt_never_claimed']);
			expect(recovered.map((item) => (item.idempotency as IDataObject).status)).toEqual([
				'claimed',
				'claimed',
			]);
			expect(business.calls.filter((call) => call.startsWith('evt_')).sort()).toEqual([
				'evt_crashed',
				'evt_never_claimed',
			]);
			expect(await inspect(namespace, 'evt_crashed')).toMatchObject({
				state: 'completed',
				attempts: 2,
				crashes: 1,
			});
			expect(await inspect(namespace, 'evt_never_claimed')).toMatchObject({
				state: 'completed',
				attempts: 1,
				crashes: 0,
			});
			expect((await inspect(namespace, 'evt_running'))?.state).toBe('inProgress');
		});
	});

	describe('Requeue Dead Letters', () => {
		it('brings a dead letter back once, however often it is asked', async () => {
			const { path, namespace } = newInbox();
			await keep(namespace, 'evt_poison');
			await deadLetter(namespace, 'evt_poison');
			const requeue = await processingWorkflow(`${path}-requeue`, namespace, {
				operation: 'requeueDeadLetters',
				path,
			});

			await start(`${path}-requeue`);
			await n8n.waitForExecutions(requeue.id, 1);
			await start(`${path}-requeue`);

			expect((await inboxItems(requeue, 2, 0)).map((item) => item.id)).toEqual(['evt_poison']);
			expect(business.callsFor('evt_poison')).toBe(1);
			expect(await inspect(namespace, 'evt_poison')).toMatchObject({
				state: 'completed',
				attempts: 1,
				releases: 3,
			});
		});
	});

	describe('Redrive', () => {
		it('processes each event of the window not completed once, never a completed one; a sender retry racing it gets 409 and runs nothing', async () => {
			const { path, namespace } = newInbox();
			const now = Date.now();
			await keep(namespace, 'evt_before_window', { receivedAt: now - 3 * 3_600_000 });
			for (const eventId of ['evt_completed', 'evt_released', 'evt_kept_only', 'evt_retried']) {
				await keep(namespace, eventId, { receivedAt: now - 30 * 60_000 });
			}
			await claim(namespace, 'evt_completed');
			await complete(namespace, 'evt_completed');
			await claim(namespace, 'evt_released');
			await store.release(namespace, ['evt_released'], CLAIM);
			const redrive = await processingWorkflow(`${path}-redrive`, namespace, {
				operation: 'redrive',
				path,
				from: '={{ $json.body.from }}',
				to: '={{ $json.body.to }}',
			});
			// The sender's retries reach a version 3 trigger on the same path: the same inbox and keys.
			const intake = await intakeWorkflow(path);
			business.hold();
			await start(`${path}-redrive`, {
				from: new Date(now - 3_600_000).toISOString(),
				to: new Date(now).toISOString(),
			});
			await waitFor('the redrive to reach the business step', () => business.heldCount > 0);
			// The sender retries one of them while the redrive's run holds it.
			const retried = await fetch(n8n.webhookUrl(path), stripeEvent('evt_retried'));
			business.releaseAll();

			const redriven = await inboxItems(redrive, 1, 0);
			expect(redriven.map((item) => item.id).sort()).toEqual([
				'evt_kept_only',
				'evt_released',
				'evt_retried',
			]);
			const skipped = await inboxItems(redrive, 1, 1);
			expect(skipped.map((item) => [item.eventId, item.reason])).toEqual([
				['evt_completed', 'completed'],
			]);
			expect(retried.status).toBe(409);
			expect(await n8n.listExecutions(intake.id)).toEqual([]);
			for (const eventId of ['evt_released', 'evt_kept_only', 'evt_retried']) {
				expect([eventId, business.callsFor(eventId)]).toEqual([eventId, 1]);
			}
			expect(business.callsFor('evt_completed') + business.callsFor('evt_before_window')).toBe(0);
		});
	});

	/**
	 * Webhook -> Webhook Inbox List (the webhook's only delivery) -> Get with its default Event ID
	 * -> Respond to Webhook with the binary: the raw bytes over HTTP.
	 */
	const rawBodyOfOnlyDelivery = async (path: string) => {
		const hookPath = `${path}-get`;
		const get = await n8n.createWorkflow(
			workflow(
				`Inbox get ${path}`,
				[
					{
						...webhookNode(hookPath),
						parameters: {
							httpMethod: 'POST',
							path: hookPath,
							responseMode: 'responseNode',
							options: {},
						},
					},
					inboxNode('List', { resource: 'delivery', operation: 'list', path }, [200, 0]),
					inboxNode('Inbox', { resource: 'delivery', operation: 'get', path }, [400, 0]),
					node(
						'Respond',
						'n8n-nodes-base.respondToWebhook',
						1.5,
						{ respondWith: 'binary', options: {} },
						[600, 0],
					),
				],
				inARow('Webhook', 'List', 'Inbox', 'Respond'),
			),
		);
		await n8n.activateWorkflow(get);
		const response = await fetch(n8n.webhookUrl(hookPath), { method: 'POST' });
		expect(response.status).toBe(200);
		const [item] = await inboxItems(get, 1, 0);
		return { bytes: Buffer.from(await response.arrayBuffer()), item };
	};

	describe('Get', () => {
		it('gives back the raw bytes of a delivery exactly as they were kept', async () => {
			const { path, namespace } = newInbox();
			// Unicode, bytes that are not UTF-8 at all, and 1 MB of payload.
			const rawBody = Buffer.concat([
				Buffer.from('{"id":"evt_bytes","note":"Grüße 🌍 ', 'utf8'),
				Buffer.from([0xff, 0xfe, 0x00, 0x80]),
				Buffer.alloc(1024 * 1024, 'x'),
				Buffer.from('"}'),
			]);
			await keep(namespace, 'evt_bytes', { rawBody });

			const { bytes, item } = await rawBodyOfOnlyDelivery(path);

			expect(bytes.length).toBe(rawBody.length);
			expect(bytes.equals(rawBody)).toBe(true);
			expect(item).toMatchObject({ eventId: 'evt_bytes', state: 'notClaimed', receipts: 1 });
		});
	});

	describe('with the Signed Webhook Trigger filling the inbox', () => {
		it('recovers a delivery whose run died without Complete or Release once its lease ran out, and keeps its signed bytes', async () => {
			const { path, namespace } = newInbox();
			const leaseMinutes = 0.02;
			// Trigger (keep and claim, short lease) -> business step. No Release: the run just fails,
			// as a crash would leave it, and the claim is held until its lease runs out.
			const intake = await intakeWorkflow(path, leaseMinutes);
			const sweep = await processingWorkflow(`${path}-sweep`, namespace, {
				operation: 'recoverStuck',
				path,
				graceMinutes: 0,
				leaseMinutes,
			});
			const delivery = stripeEvent('evt_acknowledged');
			business.failNextCall('evt_acknowledged');

			const acknowledged = await fetch(n8n.webhookUrl(path), delivery);
			expect(acknowledged.status).toBe(200);
			expect((await n8n.waitForExecutions(intake.id, 1))[0].status).toBe('error');
			await waitFor('the claim of the failed run to run out', async () => {
				const record = await inspect(namespace, 'evt_acknowledged');
				return record !== undefined && (record.leaseExpiresAt ?? Infinity) < Date.now();
			});
			await start(`${path}-sweep`);

			const [recovered] = await inboxItems(sweep, 1, 0);
			expect(recovered).toMatchObject({
				id: 'evt_acknowledged',
				type: 'payment_intent.succeeded',
				idempotency: { status: 'claimed', attempts: 2, crashes: 1 },
			});
			expect(business.callsFor('evt_acknowledged')).toBe(2);
			expect(await inspect(namespace, 'evt_acknowledged')).toMatchObject({
				state: 'completed',
				attempts: 2,
				crashes: 1,
			});
			const { bytes } = await rawBodyOfOnlyDelivery(path);
			expect(bytes.toString('utf8')).toBe(delivery.body);
		});
	});

	describe('Get Stats', () => {
		it('answers one item with the counts', async () => {
			const { path, namespace } = newInbox();
			for (const eventId of ['evt_a', 'evt_b', 'evt_c', 'evt_d']) await keep(namespace, eventId);
			await keep(namespace, 'evt_a');
			await claim(namespace, 'evt_a');
			await complete(namespace, 'evt_a');
			await deadLetter(namespace, 'evt_b');
			await claim(namespace, 'evt_c');
			const stats = await n8n.createWorkflow(
				workflow(
					`Inbox stats ${path}`,
					[
						webhookNode(`${path}-stats`),
						inboxNode('Inbox', { resource: 'health', operation: 'getStats', path }, [200, 0]),
					],
					inARow('Webhook', 'Inbox'),
				),
			);
			await n8n.activateWorkflow(stats);

			await start(`${path}-stats`);

			const items = await inboxItems(stats, 1, 0);
			expect(items).toHaveLength(1);
			expect(items[0]).toMatchObject({
				namespace,
				keys: { completed: 1, deadLetter: 1, inProgress: 1, released: 0, total: 3 },
				deadLetters: 1,
				stuck: 0,
				releases: { lastHour: 3, lastDay: 3 },
				deliveries: { lastHour: { accepted: 4, duplicate: 1, rejected: 0 } },
				lastSweep: null,
			});
		});
	});

	describe('the Operate template', () => {
		const { path, namespace } = newInbox();
		let operate: CreatedWorkflow;

		/** The template's run that `startNode` started, once finished (its schedules may fire too). */
		const finishedRunFrom = async (startNode: string, after: Set<string>) => {
			let detail: ExecutionDetail | undefined;
			await waitFor(`the run from ${startNode} to finish`, async () => {
				for (const execution of await n8n.listExecutions(operate.id)) {
					if (after.has(execution.id) || !isTerminalExecutionStatus(execution.status)) continue;
					const candidate = await n8n.getExecution(execution.id);
					if (candidate.data.resultData.runData[startNode]) detail = candidate;
				}
				return detail !== undefined;
			});
			return detail!;
		};
		const runIds = async () =>
			new Set((await n8n.listExecutions(operate.id)).map((execution) => execution.id));

		beforeAll(async () => {
			const template = loadTemplate('operate-inbox.json', {
				'https://your-api.example.com/webhook-events': `${businessOrigin}/events`,
				'https://hooks.slack.com/services/YOUR/WEBHOOK/URL': `${businessOrigin}/alerts`,
				'stripe-events': path,
				'operate-webhook-inbox': `${path}-form`,
			});
			operate = await n8n.createWorkflow(template);
			await n8n.activateWorkflow(operate);
		});

		it('imports, activates, and redrives a window submitted through its form', async () => {
			await keep(namespace, 'evt_operate', { receivedAt: Date.now() - 60_000 });
			expect(await n8n.isActive(operate.id)).toBe(true);
			const before = await runIds();

			const form = new FormData();
			form.set('field-0', 'Redrive a window');
			form.set('field-1', new Date(Date.now() - 3_600_000).toISOString());
			form.set('field-2', new Date().toISOString());
			form.set('field-3', '');
			const response = await fetch(`${n8n.baseUrl}/form/${path}-form`, {
				method: 'POST',
				body: form,
			});
			expect(response.status).toBe(200);

			const detail = await finishedRunFrom('Redrive or Requeue', before);
			expect(detail.status).toBe('success');
			expect(outputItems(detail, 'Redrive Window', 0).map((item) => item.id)).toEqual([
				'evt_operate',
			]);
			// The re-run guard let the redriven item through on the redrive's own claim.
			const tokens = (node: string) =>
				outputItems(detail, node, 0).map((item) => (item.idempotency as IDataObject).token);
			expect(tokens('Still Ours? (re-run guard)')).toEqual(tokens('Redrive Window'));
			expect(outputItems(detail, 'Mark Done', 0)).toHaveLength(1);
			expect(business.callsFor('evt_operate')).toBe(1);
			expect((await inspect(namespace, 'evt_operate'))?.state).toBe('completed');
		});

		it('recovers a crashed delivery on its 5-minute schedule, and alerts on the dead letter at its hourly check', async () => {
			await keep(namespace, 'evt_operate_crashed', { receivedAt: Date.now() - 10 * 60_000 });
			await claim(namespace, 'evt_operate_crashed', 1);
			await keep(namespace, 'evt_operate_poison', { receivedAt: Date.now() - 10 * 60_000 });
			await deadLetter(namespace, 'evt_operate_poison');

			// Unpublished, so its own 5-minute tick cannot take the crashed delivery first; then as the
			// editor's "Execute workflow" from each schedule does.
			await n8n.rest('POST', `/workflows/${operate.id}/deactivate`);
			let before = await runIds();
			await n8n.rest('POST', `/workflows/${operate.id}/run`, {
				triggerToStartFrom: { name: 'Every 5 Minutes' },
			});
			const sweep = await finishedRunFrom('Every 5 Minutes', before);
			before = await runIds();
			await n8n.rest('POST', `/workflows/${operate.id}/run`, {
				triggerToStartFrom: { name: 'Every Hour' },
			});
			const health = await finishedRunFrom('Every Hour', before);

			expect([sweep.status, health.status]).toEqual(['success', 'success']);
			expect(outputItems(sweep, 'Recover Stuck Deliveries', 0).map((item) => item.id)).toEqual([
				'evt_operate_crashed',
			]);
			expect(await inspect(namespace, 'evt_operate_crashed')).toMatchObject({
				state: 'completed',
				crashes: 1,
			});
			expect(outputItems(health, 'Inbox Health', 0)).toMatchObject([
				{ namespace, deadLetters: 1, stuck: 0 },
			]);
			expect(business.alerts).toEqual([
				expect.stringMatching(
					new RegExp(`^Webhook inbox ${namespace}: 1 dead letters, 0 stuck claims`),
				),
			]);
		});
	});
});
