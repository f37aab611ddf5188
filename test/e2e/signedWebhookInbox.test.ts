import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { INode } from 'n8n-workflow';

import { EmbeddedStore } from '../../lib/store/EmbeddedStore';
import type { IdempotencyStore } from '../../lib/store/IdempotencyStore';
import { PostgresStore } from '../../lib/store/PostgresStore';
import { RedisStore } from '../../lib/store/RedisStore';
import {
	type PostgresConnection,
	type RedisConnection,
	type RunningService,
	SERVICE_START_TIMEOUT_MS,
	startService,
} from '../lib/store/services';
import { listenLocally, type LocalServer } from '../support/localServer';
import { type RecordingEndpoint, startRecordingEndpoint } from '../support/recordingEndpoint';
import { waitFor } from '../support/waitFor';
import {
	businessStepNode,
	idempotencyCheckNode,
	node,
	type Wire,
	workflow,
} from '../support/workflowBuilder';
import {
	type CreatedCredential,
	type CreatedWorkflow,
	N8nInstance,
	nodeOutput,
	type WorkflowDefinition,
} from './harness';
import { countExecutions, waitForFinishedExecutions } from './harness/executionCounts';
import { stripeDelivery } from './stripeDelivery';

/**
 * Issue 11 in a real n8n: a delivery answered 200 whose run failed. Version 2 (dedup window at
 * receipt) has already recorded the event as seen, so the sender's retry is a duplicate and the
 * event is never processed. Version 3 in inbox mode keeps and claims the event before the 200:
 * the failed run releases its claim, the retry claims it again and the event is processed once.
 * Then the other answers of inbox mode (409 while a run holds the claim, after its lease a new
 * run, completed and dead-lettered repeats), Respond When the Run Finished, a HubSpot batch,
 * the raw bytes kept, and the rejection log, read back from the store file n8n wrote.
 */

const SECRET = 'whsec_e2e_inbox_signing_secret';
const TRIGGER = 'Stripe Events';
const FINISHED_TIMEOUT_MS = 60_000;

const paymentEvent = (id: string) =>
	JSON.stringify({
		id,
		object: 'event',
		type: 'payment_intent.succeeded',
		created: Math.floor(Date.now() / 1000),
		data: { object: { id: `pi_${id}`, amount: 4200, currency: 'eur' } },
	});

/** A business API that fails the first call for each event and succeeds on the next. */
async function flakyBusinessApi(): Promise<RecordingEndpoint> {
	const calls = new Map<string, number>();
	return await startRecordingEndpoint(({ body }) => {
		const { eventId } = body as { eventId: string };
		const call = (calls.get(eventId) ?? 0) + 1;
		calls.set(eventId, call);
		return call === 1
			? { status: 500, body: { error: 'temporarily unavailable' } }
			: { status: 201, body: { chargeId: `ch_${eventId}` } };
	});
}

/** Calls of the business API that did the work for the event. */
const successes = (api: RecordingEndpoint, eventId: string) =>
	api.requests.filter(
		(request) =>
			(request.body as { eventId: string }).eventId === eventId && request.status === 201,
	).length;

const triggerNode = (
	typeVersion: number,
	path: string,
	parameters: INode['parameters'] = {},
): INode => ({
	...node(
		TRIGGER,
		'n8n-nodes-hybrid-sync.signedWebhookTrigger',
		typeVersion,
		{ path, scheme: 'stripe', ...parameters },
		[0, 0],
	),
	webhookId: path,
	credentials: { webhookSigningSecretApi: { id: 'SIGNING_SECRET', name: 'Stripe signing secret' } },
});

const businessStep = (apiUrl: string, onError?: INode['onError']): INode => ({
	...businessStepNode('Call Business API', `${apiUrl}/charges`, '={{ $json.id }}', [220, 0]),
	...(onError ? { onError } : {}),
});

/** The key and fencing token of the trigger's item, for Complete and Release after a step that replaced it. */
const claimOfTrigger = (path: string) => ({
	key: `={{ $('${TRIGGER}').item.json.id }}`,
	namespace: `webhook:${path}`,
	fencing: `={{ $('${TRIGGER}').item.json.idempotency.token }}`,
});

/**
 * Trigger (version 3) -> business step -> Complete, its error branch -> Release (-> Stop and
 * Error when the sender is answered once the run finished): the flow README recommends.
 */
function inboxWorkflow(
	name: string,
	path: string,
	apiUrl: string,
	trigger: INode['parameters'] = {},
	failRun = false,
): WorkflowDefinition {
	const nodes = [
		triggerNode(3, path, trigger),
		businessStep(apiUrl, 'continueErrorOutput'),
		idempotencyCheckNode(
			'Mark Done',
			{ operation: 'complete', ...claimOfTrigger(path) },
			[440, -100],
		),
		idempotencyCheckNode(
			'Give Back',
			{ operation: 'release', ...claimOfTrigger(path), maxAttempts: 2 },
			[440, 100],
		),
	];
	const wires: Wire[] = [
		[TRIGGER, 'Call Business API'],
		['Call Business API', 'Mark Done'],
	];
	if (failRun) {
		nodes.push(
			node(
				'Fail the Run',
				'n8n-nodes-base.stopAndError',
				1,
				{ errorMessage: 'Business step failed' },
				[660, 100],
			),
		);
		wires.push(['Give Back', 'Fail the Run']);
	}
	const definition = workflow(name, nodes, wires);
	// The business step's second output (its errors) feeds Release.
	definition.connections['Call Business API'].main[1] = [
		{ node: 'Give Back', type: 'main', index: 0 },
	];
	return definition;
}

const STORE_CREDENTIAL_TYPE = {
	redis: 'hybridSyncRedisApi',
	postgres: 'hybridSyncPostgresApi',
} as const;
const STORE_NODE_TYPES = new Set([
	'n8n-nodes-hybrid-sync.signedWebhookTrigger',
	'n8n-nodes-hybrid-sync.idempotencyCheck',
]);

/** The same workflow with the trigger and Idempotency Check on a shared store (credential placeholder STORE). */
function onStore(
	definition: WorkflowDefinition,
	backend: keyof typeof STORE_CREDENTIAL_TYPE,
	credential: CreatedCredential,
): WorkflowDefinition {
	const nodes = definition.nodes.map((each) =>
		STORE_NODE_TYPES.has(each.type)
			? {
					...each,
					parameters: { ...each.parameters, storeBackend: backend },
					credentials: {
						...each.credentials,
						[STORE_CREDENTIAL_TYPE[backend]]: { id: 'STORE', name: credential.name },
					},
				}
			: each,
	);
	return { ...definition, nodes };
}

/** A business step that holds every call until the test lets it answer. */
class GatedBusinessStep {
	readonly held: Array<{ eventId: string; answer: () => void }> = [];
	private listening: LocalServer | undefined;
	private readonly server = createServer((request, response) => {
		// Only the business step's calls are held (a reused port can be polled by another process).
		if (request.method !== 'POST' || request.url !== '/charges') {
			response.writeHead(404).end();
			return;
		}
		let body = '';
		request.on('data', (chunk: Buffer) => (body += chunk.toString()));
		request.on('end', () => {
			const { eventId } = JSON.parse(body || '{}') as { eventId: string };
			this.held.push({
				eventId,
				answer: () =>
					response.writeHead(201, { 'content-type': 'application/json' }).end('{"done":true}'),
			});
		});
	});

	async start(): Promise<string> {
		this.listening = await listenLocally(this.server);
		return this.listening.origin;
	}

	async stop(): Promise<void> {
		await this.listening?.close();
	}
}

/** Long enough for nothing else to start: how long a negative ("no execution") is watched. */
const SETTLE_MS = 2000;
const settle = async () => await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

describe('Signed Webhook Trigger version 3: keep and claim before the answer', () => {
	const storeFolder = mkdtempSync(join(tmpdir(), 'hybrid-sync-e2e-inbox-'));
	const storePath = join(storeFolder, 'store.sqlite');
	const gate = new GatedBusinessStep();
	let n8n: N8nInstance;
	let credential: CreatedCredential;
	let api: RecordingEndpoint;
	let gateUrl: string;

	const post = async (path: string, request: RequestInit) => {
		const response = await fetch(n8n.webhookUrl(path), request);
		const text = await response.text();
		return {
			status: response.status,
			retryAfter: response.headers.get('retry-after'),
			body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> | undefined,
		};
	};
	const postStripe = async (path: string, eventId: string, secret = SECRET) =>
		await post(path, stripeDelivery(paymentEvent(eventId), secret));

	const publish = async (definition: WorkflowDefinition) => {
		const created = await n8n.createWorkflow(definition, { SIGNING_SECRET: credential });
		await n8n.activateWorkflow(created);
		return created;
	};

	/** The store n8n writes, opened beside it (the embedded store is shared between processes). */
	const readStore = async <T>(read: (store: EmbeddedStore) => Promise<T>): Promise<T> => {
		const store = new EmbeddedStore({ path: storePath });
		try {
			return await read(store);
		} finally {
			await store.close();
		}
	};

	beforeAll(async () => {
		api = await flakyBusinessApi();
		gateUrl = await gate.start();
		n8n = await N8nInstance.start({ env: { HYBRID_SYNC_STORE_PATH: storePath } });
		credential = await n8n.createCredential({
			name: 'Stripe signing secret',
			type: 'webhookSigningSecretApi',
			data: { secret: SECRET, previousSecrets: '' },
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await api?.close();
		await gate.stop();
		rmSync(storeFolder, { recursive: true, force: true });
	});

	it('version 2 (the loss): the retry of an event whose run failed is a duplicate, never processed', async () => {
		const path = 'e2e-loss-v2';
		const lossy: CreatedWorkflow = await publish(
			workflow(
				'Dedup at receipt',
				[triggerNode(2, path), businessStep(api.url)],
				[[TRIGGER, 'Call Business API']],
			),
		);

		const first = await postStripe(path, 'evt_loss_v2');
		expect(await waitForFinishedExecutions(n8n, lossy.id, 1, FINISHED_TIMEOUT_MS)).toEqual({
			error: 1,
		});
		const retry = await postStripe(path, 'evt_loss_v2');
		await settle();

		expect(first).toMatchObject({ status: 200, body: { received: true, id: 'evt_loss_v2' } });
		expect(retry).toMatchObject({ status: 200, body: { duplicate: true, id: 'evt_loss_v2' } });
		expect(await countExecutions(n8n, lossy.id)).toBe(1);
		expect(successes(api, 'evt_loss_v2')).toBe(0);
	});

	it('inbox: the retry after a released run runs the event again; it is processed once, later repeats are duplicates', async () => {
		const path = 'e2e-inbox-retry';
		const flow = await publish(inboxWorkflow('Keep and claim', path, api.url));

		const first = await postStripe(path, 'evt_inbox_1');
		await waitForFinishedExecutions(n8n, flow.id, 1, FINISHED_TIMEOUT_MS);
		const retry = await postStripe(path, 'evt_inbox_1');
		await waitForFinishedExecutions(n8n, flow.id, 2, FINISHED_TIMEOUT_MS);
		const repeat = await postStripe(path, 'evt_inbox_1');
		await settle();

		expect([first, retry].map(({ status, body }) => [status, body])).toEqual([
			[200, { received: true, id: 'evt_inbox_1' }],
			[200, { received: true, id: 'evt_inbox_1' }],
		]);
		expect(repeat).toMatchObject({ status: 200, body: { duplicate: true, id: 'evt_inbox_1' } });
		expect(await countExecutions(n8n, flow.id)).toBe(2);
		expect(successes(api, 'evt_inbox_1')).toBe(1);
		const executions = await n8n.listExecutions(flow.id);
		const [item] = nodeOutput(await n8n.getExecution(executions[0].id), TRIGGER);
		expect(item).toMatchObject({
			id: 'evt_inbox_1',
			idempotency: {
				status: 'claimed',
				key: 'evt_inbox_1',
				namespace: `webhook:${path}`,
				attempts: 2,
				releases: 1,
			},
		});
		const [record] = await readStore(
			async (store) => await store.inspect(`webhook:${path}`, ['evt_inbox_1']),
		);
		expect(record).toMatchObject({ state: 'completed', attempts: 2 });
	});

	it('inbox: a repeat while a slow run holds the claim gets 409 with Retry-After; after the lease a new run takes it', async () => {
		const path = 'e2e-inbox-slow';
		const leaseMinutes = 0.1;
		const flow = await publish(inboxWorkflow('Slow run', path, gateUrl, { leaseMinutes }));

		const claimedAt = Date.now();
		expect((await postStripe(path, 'evt_slow')).status).toBe(200);
		await waitFor('the run to reach the business step', () => gate.held.length === 1);
		const whileHeld = await postStripe(path, 'evt_slow');
		await waitFor(
			'the lease to run out',
			() => Date.now() > claimedAt + leaseMinutes * 60_000 + 500,
		);
		const afterLease = await postStripe(path, 'evt_slow');
		await waitFor('the second run to reach the business step', () => gate.held.length === 2);
		for (const held of gate.held.splice(0)) held.answer();
		await waitForFinishedExecutions(n8n, flow.id, 2, FINISHED_TIMEOUT_MS);
		const done = await postStripe(path, 'evt_slow');
		await settle();

		expect(whileHeld).toMatchObject({ status: 409, body: { error: 'inProgress', id: 'evt_slow' } });
		expect(Number(whileHeld.retryAfter)).toBeGreaterThanOrEqual(1);
		expect(Number(whileHeld.retryAfter)).toBeLessThanOrEqual(leaseMinutes * 60);
		expect(afterLease).toMatchObject({ status: 200, body: { received: true, id: 'evt_slow' } });
		expect(done).toMatchObject({ status: 200, body: { duplicate: true } });
		expect(await countExecutions(n8n, flow.id)).toBe(2);
		const [record] = await readStore(
			async (store) => await store.inspect(`webhook:${path}`, ['evt_slow']),
		);
		expect(record).toMatchObject({ state: 'completed', attempts: 2, crashes: 1 });
	});

	it('inbox: While In Progress "Answer 200" acknowledges the repeat and starts nothing', async () => {
		const path = 'e2e-inbox-acknowledge';
		const flow = await publish(
			inboxWorkflow('Acknowledge repeats', path, gateUrl, { whileInProgress: 'acknowledge' }),
		);

		await postStripe(path, 'evt_ack');
		await waitFor('the run to reach the business step', () => gate.held.length === 1);
		const whileHeld = await postStripe(path, 'evt_ack');
		gate.held.splice(0).forEach((held) => held.answer());
		await waitForFinishedExecutions(n8n, flow.id, 1, FINISHED_TIMEOUT_MS);
		await settle();

		expect(whileHeld).toMatchObject({
			status: 200,
			retryAfter: null,
			body: { received: true, inProgress: true },
		});
		expect(await countExecutions(n8n, flow.id)).toBe(1);
	});

	it('inbox: a dead-lettered event is acknowledged as such and starts nothing', async () => {
		const path = 'e2e-inbox-dead-letter';
		const alwaysFailing = await startRecordingEndpoint(() => ({
			status: 500,
			body: { error: 'down' },
		}));
		try {
			const flow = await publish(
				inboxWorkflow('Dead letter', path, alwaysFailing.url, { maxAttempts: 2 }),
			);
			await postStripe(path, 'evt_poison');
			await waitForFinishedExecutions(n8n, flow.id, 1, FINISHED_TIMEOUT_MS);
			await postStripe(path, 'evt_poison');
			await waitForFinishedExecutions(n8n, flow.id, 2, FINISHED_TIMEOUT_MS);
			const parked = await postStripe(path, 'evt_poison');
			await settle();

			expect(parked).toMatchObject({
				status: 200,
				body: { received: true, deadLetter: true, id: 'evt_poison' },
			});
			expect(await countExecutions(n8n, flow.id)).toBe(2);
			// Counted by path: a port freed by another process can still be polled (/healthz) by it.
			expect(alwaysFailing.requests.filter((request) => request.path === '/charges')).toHaveLength(
				2,
			);
		} finally {
			await alwaysFailing.close();
		}
	});

	it('Respond When the Run Finished: 500 after a run ending in Stop and Error, 200 after the retry succeeded', async () => {
		const path = 'e2e-inbox-when-finished';
		const flow = await publish(
			inboxWorkflow('Respond when finished', path, api.url, { respondWhen: 'whenFinished' }, true),
		);

		const failed = await postStripe(path, 'evt_finished');
		const retried = await postStripe(path, 'evt_finished');
		const repeat = await postStripe(path, 'evt_finished');
		await waitForFinishedExecutions(n8n, flow.id, 2, FINISHED_TIMEOUT_MS);

		expect(failed).toEqual({
			status: 500,
			retryAfter: null,
			body: { message: 'Error in workflow' },
		});
		// noData: the sender learns the outcome, not the run's data.
		expect([retried.status, retried.body]).toEqual([200, undefined]);
		expect(repeat).toMatchObject({ status: 200, body: { duplicate: true, id: 'evt_finished' } });
		expect(successes(api, 'evt_finished')).toBe(1);
		expect(await waitForFinishedExecutions(n8n, flow.id, 2, FINISHED_TIMEOUT_MS)).toEqual({
			error: 1,
			success: 1,
		});
	});

	it('inbox: each event of a HubSpot batch is claimed on its own; the run gets only the new ones', async () => {
		const path = 'e2e-inbox-hubspot';
		const hubspotSecret = 'hubspot-e2e-app-secret';
		const publicUrl = `https://automation.example.com/webhook/${path}`;
		const hubspotCredential = await n8n.createCredential({
			name: 'HubSpot app secret',
			type: 'webhookSigningSecretApi',
			data: { secret: hubspotSecret, previousSecrets: '' },
		});
		const trigger = triggerNode(3, path, { scheme: 'hubspot', publicUrl });
		const flow = await n8n.createWorkflow(workflow('HubSpot batch', [trigger], []), {
			SIGNING_SECRET: hubspotCredential,
		});
		await n8n.activateWorkflow(flow);
		const batch = (ids: number[]) => {
			const body = JSON.stringify(
				ids.map((eventId) => ({
					eventId,
					subscriptionType: 'contact.creation',
					objectId: eventId + 1,
					attemptNumber: 0,
				})),
			);
			const timestamp = String(Date.now());
			const signature = createHmac('sha256', hubspotSecret)
				.update(`POST${publicUrl}${body}${timestamp}`)
				.digest('base64');
			return {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					'x-hubspot-request-timestamp': timestamp,
					'x-hubspot-signature-v3': signature,
				},
				body,
			};
		};

		const first = await post(path, batch([701, 702]));
		await waitForFinishedExecutions(n8n, flow.id, 1, FINISHED_TIMEOUT_MS);
		// No Complete node in this workflow: 701 and 702 stay claimed (in progress) until their lease ends.
		const second = await post(path, batch([702, 703]));
		await waitForFinishedExecutions(n8n, flow.id, 2, FINISHED_TIMEOUT_MS);

		expect(first).toMatchObject({
			status: 200,
			body: { received: true, ids: ['701', '702'], duplicateIds: [] },
		});
		expect(second).toMatchObject({
			status: 200,
			body: { received: true, ids: ['703'], duplicateIds: [], inProgressIds: ['702'] },
		});
		const executions = await n8n.listExecutions(flow.id);
		const items = nodeOutput(await n8n.getExecution(executions[0].id), TRIGGER);
		expect(items.map((item) => [item.id, (item.idempotency as { status: string }).status])).toEqual(
			[['703', 'claimed']],
		);
	});

	it('keeps the exact raw bytes of a 1 MB unicode body; logs rejections apart; no secret or signature value in the store files', async () => {
		const path = 'e2e-inbox-bytes';
		await publish(workflow('Bytes kept', [triggerNode(3, path)], []));
		const body = JSON.stringify({
			id: 'evt_bytes',
			object: 'event',
			type: 'invoice.paid',
			data: { object: { note: 'Zoë 🧾 ' + 'ü'.repeat(500_000) } },
		}).replace(':', ': ');
		const signed = stripeDelivery(body, SECRET);
		const forged = stripeDelivery(paymentEvent('evt_forged'), 'whsec_not_the_secret');

		expect(Buffer.byteLength(body)).toBeGreaterThan(1_000_000);
		expect((await post(path, signed)).status).toBe(200);
		expect((await post(path, forged)).status).toBe(401);

		const [entry] = await readStore(
			async (store) => await store.inbox.get(`webhook:${path}`, ['evt_bytes']),
		);
		expect(entry?.rawBody?.equals(Buffer.from(body))).toBe(true);
		const rejections = await readStore(
			async (store) => await store.inbox.rejections(`webhook:${path}`, { limit: 10 }),
		);
		expect(rejections).toEqual([
			expect.objectContaining({
				reason: 'signatureInvalid',
				status: 401,
				headers: expect.objectContaining({ 'stripe-signature': '[redacted]' }),
				bodyPrefix: forged.body.slice(0, 2048),
			}),
		]);
		const signatures = [signed, forged].map(
			(request) =>
				(request.headers['stripe-signature'].match(/v1=([0-9a-f]+)/) as RegExpMatchArray)[1],
		);
		for (const file of readdirSync(storeFolder)) {
			const bytes = readFileSync(join(storeFolder, file));
			for (const secret of [SECRET, 'whsec_not_the_secret', ...signatures]) {
				expect({ file, found: bytes.includes(secret) }).toEqual({ file, found: false });
			}
		}
	});
	describe.each(['redis', 'postgres'] as const)('on the %s store', (backend) => {
		const path = `e2e-inbox-${backend}`;
		const eventId = `evt_inbox_${backend}`;
		let service: RunningService<RedisConnection | PostgresConnection>;
		let storeCredential: CreatedCredential;
		const openStore = (): IdempotencyStore =>
			backend === 'redis'
				? new RedisStore({ ...(service.connection as RedisConnection), keyPrefix: 'e2e-inbox:' })
				: new PostgresStore(service.connection as PostgresConnection);

		beforeAll(async () => {
			service = backend === 'redis' ? await startService('redis') : await startService('postgres');
			storeCredential = await n8n.createCredential({
				name: `Store ${backend}`,
				type: STORE_CREDENTIAL_TYPE[backend],
				data:
					backend === 'redis'
						? { ...service.connection, database: 0, user: '', ssl: false, keyPrefix: 'e2e-inbox:' }
						: { ...service.connection, ssl: false },
			});
		}, SERVICE_START_TIMEOUT_MS);

		afterAll(async () => {
			await service?.stop();
		});

		it('keeps the exact bytes, runs the event again after its run released it, then answers duplicate', async () => {
			const created = await n8n.createWorkflow(
				onStore(
					inboxWorkflow(`Keep and claim on ${backend}`, path, api.url),
					backend,
					storeCredential,
				),
				{ SIGNING_SECRET: credential, STORE: storeCredential },
			);
			await n8n.activateWorkflow(created);
			const signed = stripeDelivery(paymentEvent(eventId), SECRET);

			const first = await post(path, signed);
			await waitForFinishedExecutions(n8n, created.id, 1, FINISHED_TIMEOUT_MS);
			const retry = await postStripe(path, eventId);
			await waitForFinishedExecutions(n8n, created.id, 2, FINISHED_TIMEOUT_MS);
			const repeat = await postStripe(path, eventId);
			await settle();

			expect([first.status, retry.status]).toEqual([200, 200]);
			expect(repeat).toMatchObject({ status: 200, body: { duplicate: true, id: eventId } });
			expect(await countExecutions(n8n, created.id)).toBe(2);
			expect(successes(api, eventId)).toBe(1);
			const store = openStore();
			try {
				const [entry] = await store.inbox.get(`webhook:${path}`, [eventId]);
				const [record] = await store.inspect(`webhook:${path}`, [eventId]);
				expect([entry?.rawBody?.equals(Buffer.from(signed.body)), entry?.receipts]).toEqual([
					true,
					3,
				]);
				expect(record).toMatchObject({ state: 'completed', attempts: 2, releases: 1 });
			} finally {
				await store.close();
			}
		});
	});
});
