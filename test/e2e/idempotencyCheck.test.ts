import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { type IDataObject, isTerminalExecutionStatus } from 'n8n-workflow';

import { listenLocally, type LocalServer } from '../support/localServer';
import { waitFor } from '../support/waitFor';
import {
	businessStepNode,
	idempotencyCheckNode,
	inARow,
	webhookNode,
	workflow,
} from '../support/workflowBuilder';
import {
	type CreatedWorkflow,
	type ExecutionDetail,
	N8nInstance,
	type WorkflowDefinition,
} from './harness';
import { stripeDelivery } from './stripeDelivery';

/**
 * The Idempotency Check inside a real n8n, wired the way the README recommends: a signed webhook
 * whose own dedup is off (so sender retries reach the workflow), claim before the business step,
 * complete after it, release when it fails. The business API fails the first call for each event,
 * so every event needs a retry, and duplicates arrive concurrently.
 */

const SECRET = 'whsec_e2e_idempotency_signing_secret';
const WEBHOOK_PATH = 'e2e-idempotent-processing';
const NAMESPACE = 'stripe-events';
const EVENT_COUNT = 30;
const MAX_RETRY_ROUNDS = 6;
const ROUND_PAUSE_MS = 500;
const ROUND_TIMEOUT_MS = 120_000;
/** The fixture names the business API by this origin; the test points it at its own server. */
const FIXTURE_API_ORIGIN = 'http://business-api.invalid';

const FENCING_PATH = 'e2e-fencing';
const FENCING_NAMESPACE = 'fencing-events';
/** 3 s: long enough for the claim to be granted, short enough to run out while the step is held. */
const FENCING_LEASE_MINUTES = 0.05;

const eventIds = Array.from(
	{ length: EVENT_COUNT },
	(_, index) => `evt_e2e_${String(index + 1).padStart(2, '0')}`,
);

/** A downstream API that fails the first call for each event and counts the calls that succeeded. */
class FlakyBusinessApi {
	readonly calls = new Map<string, number>();
	readonly successes = new Map<string, number>();
	private readonly server = createServer(
		(request, response) => void this.handle(request, response),
	);

	private listening: LocalServer | undefined;

	async start(): Promise<string> {
		this.listening = await listenLocally(this.server);
		return this.listening.origin;
	}

	async stop(): Promise<void> {
		await this.listening?.close();
	}

	private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		let body = '';
		for await (const chunk of request) body += chunk;
		const { eventId } = JSON.parse(body || '{}') as { eventId?: string };
		const reply = (status: number, payload: object) => {
			response
				.writeHead(status, { 'content-type': 'application/json' })
				.end(JSON.stringify(payload));
		};
		if (request.method !== 'POST' || request.url !== '/charges' || !eventId) {
			return reply(400, { error: 'expected POST /charges with an eventId' });
		}
		const call = (this.calls.get(eventId) ?? 0) + 1;
		this.calls.set(eventId, call);
		if (call === 1) return reply(500, { error: 'temporarily unavailable' });
		this.successes.set(eventId, (this.successes.get(eventId) ?? 0) + 1);
		return reply(201, { chargeId: `ch_${eventId}` });
	}
}

/** A business step that holds every call until the test lets it answer, in any order. */
class GatedBusinessStep {
	readonly held: Array<{ eventId: string; answer: () => void }> = [];
	private readonly server = createServer((request, response) => {
		let body = '';
		request.on('data', (chunk: Buffer) => (body += chunk.toString()));
		request.on('end', () => {
			const { eventId } = JSON.parse(body || '{}') as { eventId: string };
			this.held.push({
				eventId,
				answer: () =>
					response.writeHead(200, { 'content-type': 'application/json' }).end('{"done":true}'),
			});
		});
	});

	private listening: LocalServer | undefined;

	async start(): Promise<string> {
		this.listening = await listenLocally(this.server);
		return this.listening.origin;
	}

	async stop(): Promise<void> {
		await this.listening?.close();
	}
}

/**
 * Claim (short lease), a business step the test holds, then Complete with the claim's fencing
 * token read from the Claim node (the HTTP step replaced the item, as it does on a canvas).
 */
const fencingWorkflow = (businessOrigin: string) =>
	workflow(
		'Fencing e2e',
		[
			webhookNode(FENCING_PATH),
			idempotencyCheckNode(
				'Claim Event',
				{
					operation: 'claim',
					key: '={{ $json.body.id }}',
					namespace: FENCING_NAMESPACE,
					leaseMinutes: FENCING_LEASE_MINUTES,
				},
				[200, 0],
			),
			businessStepNode('Business Step', `${businessOrigin}/work`, '={{ $json.body.id }}', [400, 0]),
			idempotencyCheckNode(
				'Mark Done',
				{
					operation: 'complete',
					key: "={{ $('Claim Event').item.json.body.id }}",
					namespace: FENCING_NAMESPACE,
					fencing: "={{ $('Claim Event').item.json.idempotency.token }}",
				},
				[600, 0],
			),
		],
		inARow('Webhook', 'Claim Event', 'Business Step', 'Mark Done'),
	);

/** A Stripe `payment_intent.succeeded` event, signed as Stripe signs it. */
function paymentDelivery(eventId: string): RequestInit {
	const body = JSON.stringify({
		id: eventId,
		object: 'event',
		type: 'payment_intent.succeeded',
		created: Math.floor(Date.now() / 1000),
		data: { object: { id: `pi_${eventId}`, amount: 4200, currency: 'eur' } },
	});
	return stripeDelivery(body, SECRET);
}

/** The items a node put on one of its outputs in an execution (none when it did not run). */
function branch(execution: ExecutionDetail, nodeName: string, outputIndex: number): IDataObject[] {
	const runs = execution.data.resultData.runData[nodeName] ?? [];
	return runs.flatMap((run) => (run.data?.main[outputIndex] ?? []).map((item) => item.json));
}

const sleep = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

describe('Idempotency Check in a real n8n: claim, call, complete or release', () => {
	const api = new FlakyBusinessApi();
	const gate = new GatedBusinessStep();
	const storeFolder = mkdtempSync(join(tmpdir(), 'hybrid-sync-e2e-store-'));
	const storePath = join(storeFolder, 'store.sqlite');
	let n8n: N8nInstance;
	let workflow: CreatedWorkflow;
	let fencing: CreatedWorkflow;
	let delivered = 0;

	/** Delivers the events (each `copies` times at once) and waits until every execution finished. */
	const deliver = async (ids: string[], copies = 1) => {
		const url = n8n.webhookUrl(WEBHOOK_PATH);
		const responses = await Promise.all(
			ids.flatMap((id) =>
				Array.from({ length: copies }, async () => await fetch(url, paymentDelivery(id))),
			),
		);
		delivered += responses.length;
		expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
		return await n8n.waitForExecutions(workflow.id, delivered, ROUND_TIMEOUT_MS);
	};
	const pending = () => eventIds.filter((id) => !api.successes.has(id));

	beforeAll(async () => {
		const apiOrigin = await api.start();
		n8n = await N8nInstance.start({ env: { HYBRID_SYNC_STORE_PATH: storePath } });
		const credential = await n8n.createCredential({
			name: 'Stripe signing secret',
			type: 'webhookSigningSecretApi',
			data: { secret: SECRET, previousSecrets: '' },
		});
		const fixture = readFileSync(
			join(__dirname, 'fixtures', 'idempotent-processing.workflow.json'),
			'utf8',
		);
		const definition = JSON.parse(
			fixture.replaceAll(FIXTURE_API_ORIGIN, apiOrigin),
		) as WorkflowDefinition;
		workflow = await n8n.createWorkflow(definition, { SIGNING_SECRET: credential });
		await n8n.activateWorkflow(workflow);
		fencing = await n8n.createWorkflow(fencingWorkflow(await gate.start()));
		await n8n.activateWorkflow(fencing);
	});

	afterAll(async () => {
		await n8n?.stop();
		await api.stop();
		await gate.stop();
		rmSync(storeFolder, { recursive: true, force: true });
	});

	it('lets one of two concurrent copies of each event call the API, and gives failed events back', async () => {
		const executions = await deliver(eventIds, 2);

		expect(executions).toHaveLength(2 * EVENT_COUNT);
		// A failed call goes to the error output, which is handled: no execution fails.
		expect(executions.filter((execution) => execution.status !== 'success')).toEqual([]);
		for (const id of eventIds) {
			// The first call fails; the other copy either found the key In Progress or, arriving after
			// the release, claimed it again and succeeded. Never more calls than that.
			expect([1, 2]).toContain(api.calls.get(id));
			expect(api.successes.get(id) ?? 0).toBe((api.calls.get(id) ?? 0) - 1);
		}
	});

	it('processes every event exactly once as the sender retries the ones not yet done', async () => {
		for (let round = 1; round <= MAX_RETRY_ROUNDS && pending().length > 0; round++) {
			await sleep(ROUND_PAUSE_MS);
			const executions = await deliver(pending());
			expect(executions.filter((execution) => execution.status !== 'success')).toEqual([]);
		}

		expect(pending()).toEqual([]);
		expect(Object.fromEntries(api.successes)).toEqual(
			Object.fromEntries(eventIds.map((id) => [id, 1])),
		);
		expect(Object.fromEntries(api.calls)).toEqual(
			Object.fromEntries(eventIds.map((id) => [id, 2])),
		);
	});

	it('answers every later delivery from the store as Duplicate, with the stored result and no API call', async () => {
		const callsBefore = [...api.calls.values()].reduce((sum, calls) => sum + calls, 0);

		const executions = await deliver(eventIds);

		const lastRound = await Promise.all(
			executions
				.slice(0, EVENT_COUNT)
				.map(async (execution) => await n8n.getExecution(execution.id)),
		);
		expect(lastRound.map((execution) => execution.status)).toEqual(lastRound.map(() => 'success'));
		const duplicates = lastRound.flatMap((execution) => {
			expect(branch(execution, 'Claim Event', 0)).toEqual([]);
			expect(execution.data.resultData.runData['Call Business API']).toBeUndefined();
			return branch(execution, 'Claim Event', 1);
		});
		expect(duplicates.map((item) => item.id).sort()).toEqual(eventIds);
		for (const item of duplicates) {
			expect(item.idempotency).toMatchObject({
				status: 'duplicate',
				state: 'completed',
				attempts: 2,
				result: { chargeId: `ch_${item.id as string}` },
			});
		}
		expect([...api.calls.values()].reduce((sum, calls) => sum + calls, 0)).toBe(callsBefore);
	});

	it('leaves no key stuck: the store holds every event as completed after two attempts', () => {
		const db = new DatabaseSync(storePath, { readOnly: true });
		try {
			const rows = db
				.prepare(
					'SELECT key, state, attempts, result FROM idempotency_keys WHERE namespace = ? ORDER BY key',
				)
				.all(NAMESPACE);
			expect(rows).toEqual(
				eventIds.map((id) => ({
					key: id,
					state: 'completed',
					attempts: 2,
					result: JSON.stringify({ chargeId: `ch_${id}` }),
				})),
			);
		} finally {
			db.close();
		}
	});

	it('lets a run overtaken after its lease end on Lost Claim, never completing the newer claim', async () => {
		const readKey = () => {
			const db = new DatabaseSync(storePath, { readOnly: true });
			try {
				return db
					.prepare(
						'SELECT state, attempts, crashes, token, lease_expires_at AS leaseEnd FROM idempotency_keys WHERE namespace = ? AND key = ?',
					)
					.get(FENCING_NAMESPACE, 'evt_fenced') as
					| { state: string; attempts: number; crashes: number; token: string; leaseEnd: number }
					| undefined;
			} finally {
				db.close();
			}
		};
		const send = async () => {
			const response = await fetch(n8n.webhookUrl(FENCING_PATH), {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ id: 'evt_fenced' }),
			});
			expect(response.status).toBe(200);
		};
		const finished = async () =>
			(await n8n.listExecutions(fencing.id)).filter((execution) =>
				isTerminalExecutionStatus(execution.status),
			);

		await send();
		await waitFor('the first run to reach the business step', () => gate.held.length === 1);
		const firstClaim = readKey()!;
		await waitFor('the first claim to run out', () => Date.now() > firstClaim.leaseEnd + 500);
		await send();
		await waitFor('the second run to take the key over', () => gate.held.length === 2);
		const secondClaim = readKey()!;
		expect(secondClaim).toMatchObject({ state: 'inProgress', attempts: 2, crashes: 1 });
		expect(secondClaim.token).not.toBe(firstClaim.token);

		gate.held[0].answer();
		await waitFor('the overtaken run to finish', async () => (await finished()).length === 1);
		const [overtaken] = await finished();
		const lateRun = await n8n.getExecution(overtaken.id);

		expect(lateRun.status).toBe('success');
		expect(branch(lateRun, 'Mark Done', 0)).toEqual([]);
		expect(branch(lateRun, 'Mark Done', 1)).toEqual([
			expect.objectContaining({
				done: true,
				idempotency: expect.objectContaining({
					status: 'lostClaim',
					state: 'inProgress',
					token: firstClaim.token,
					crashes: 1,
				}),
			}),
		]);
		expect(readKey()).toEqual(secondClaim);

		gate.held[1].answer();
		await waitFor('the newer run to finish', async () => (await finished()).length === 2);
		const newerRun = await n8n.getExecution(
			(await finished()).find((execution) => execution.id !== overtaken.id)!.id,
		);
		expect(branch(newerRun, 'Mark Done', 0)).toEqual([
			expect.objectContaining({
				idempotency: expect.objectContaining({ status: 'completed', token: secondClaim.token }),
			}),
		]);
		expect(readKey()).toMatchObject({ state: 'completed', token: secondClaim.token, crashes: 1 });
	});
});
