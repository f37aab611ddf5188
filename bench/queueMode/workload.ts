import { randomUUID } from 'node:crypto';

import type { CreatedCredential, N8nInstance, WorkflowDefinition } from '../../test/e2e/harness';
import type { RedisConnection } from '../../test/lib/store/services';
import { countExecutions } from '../../test/e2e/harness/executionCounts';
import { businessStepNode, node, webhookNode, workflow } from '../../test/support/workflowBuilder';
import { runLoad, type LoadResult, type PreparedRequest } from '../support/load';
import { stripeEventBody, stripeSignature } from '../support/payload';

/**
 * The workload both setups run: a Stripe-signed 1 KB event to the Signed Webhook Trigger
 * (version 2, Redis store), then one business step, an HTTP call to a local endpoint that counts
 * each event's calls. A new event is one delivery and one execution; a repeat is one delivery
 * answered as a duplicate, with no execution. The same event to n8n's own Webhook node, with the
 * same business step, tells what n8n itself costs per delivery and execution in each setup.
 */

const STRIPE_SECRET = 'whsec_bench_queue_mode_secret';
const BODY_BYTES = 1024;
const SETTLE_TIMEOUT_MS = 300_000;
const SETTLE_POLL_MS = 100;
const COUNT_POLL_MS = 500;

export interface BenchWorkflow {
	workflowId: string;
	path: string;
}

/**
 * The Signed Webhook Trigger's workflow, with its signing secret and Redis store credentials,
 * published; then, as the reference, the same business step behind n8n's own Webhook node
 * (no authentication, answering as soon as the execution starts).
 */
export async function publishWorkflows(
	main: N8nInstance,
	storeRedis: RedisConnection,
	businessUrl: string,
): Promise<{ signed: BenchWorkflow; webhookNode: BenchWorkflow }> {
	const signingSecret = await main.createCredential({
		name: 'Bench Stripe secret',
		type: 'webhookSigningSecretApi',
		data: { secret: STRIPE_SECRET, previousSecrets: '' },
	});
	const { host, port, password } = storeRedis;
	const store = await main.createCredential({
		name: 'Bench store Redis',
		type: 'hybridSyncRedisApi',
		data: { host, port, password, database: 0, user: '', ssl: false, keyPrefix: 'bench:' },
	});
	const publish = async (
		definition: WorkflowDefinition,
		path: string,
		credentials: Record<string, CreatedCredential> = {},
	) => {
		const created = await main.createWorkflow(definition, credentials);
		await main.activateWorkflow(created);
		return { workflowId: created.id, path };
	};
	const signedPath = 'bench-queue-mode-signed';
	const webhookPath = 'bench-queue-mode-n8n-webhook';
	return {
		signed: await publish(
			signedWorkflow(signedPath, businessUrl, signingSecret, store),
			signedPath,
			{ SIGNING_SECRET: signingSecret, STORE: store },
		),
		webhookNode: await publish(
			workflow(
				'Bench: queue mode, n8n Webhook node',
				[webhookNode(webhookPath), businessStep(businessUrl, '={{ $json.body.id }}')],
				[['Webhook', 'Business Step']],
			),
			webhookPath,
		),
	};
}

/** POSTs `{ eventId }` to the endpoint that counts each event's calls. */
const businessStep = (url: string, eventId: string) =>
	businessStepNode('Business Step', url, eventId, [260, 0]);

function signedWorkflow(
	path: string,
	businessUrl: string,
	signingSecret: CreatedCredential,
	store: CreatedCredential,
): WorkflowDefinition {
	const trigger = {
		...node(
			'Stripe Events',
			'n8n-nodes-hybrid-sync.signedWebhookTrigger',
			2,
			{ path, scheme: 'stripe', storeBackend: 'redis' },
			[0, 0],
		),
		webhookId: randomUUID(),
		credentials: {
			webhookSigningSecretApi: { id: 'SIGNING_SECRET', name: signingSecret.name },
			hybridSyncRedisApi: { id: 'STORE', name: store.name },
		},
	};
	return workflow(
		'Bench: queue mode, Signed Webhook Trigger',
		[trigger, businessStep(businessUrl, '={{ $json.id }}')],
		[['Stripe Events', 'Business Step']],
	);
}

const answerOf = (text: string): { id?: string; duplicate?: boolean } | undefined => {
	try {
		return JSON.parse(text) as { id?: string; duplicate?: boolean };
	} catch {
		return undefined;
	}
};

/** One delivery of `eventId` to the Signed Webhook Trigger, signed now; `duplicate` says which answer it must get. */
export function signedDelivery(path: string, eventId: string, duplicate: boolean): PreparedRequest {
	const body = stripeEventBody(eventId, BODY_BYTES);
	return {
		path: `/webhook/${path}`,
		headers: {
			'content-type': 'application/json',
			'stripe-signature': stripeSignature(body, STRIPE_SECRET, Math.floor(Date.now() / 1000)),
		},
		body,
		check: (status, text) => {
			const answer = answerOf(text);
			const expected = duplicate
				? answer?.duplicate === true
				: answer?.id === eventId && answer.duplicate === undefined;
			return status === 200 && expected ? undefined : `status ${status}: ${text.slice(0, 200)}`;
		},
	};
}

/** The same event, unsigned, to n8n's Webhook node, which starts an execution for each. */
export function webhookNodeDelivery(path: string, eventId: string): PreparedRequest {
	return {
		path: `/webhook/${path}`,
		headers: { 'content-type': 'application/json' },
		body: stripeEventBody(eventId, BODY_BYTES),
		check: (status, text) =>
			status === 200 ? undefined : `status ${status}: ${text.slice(0, 200)}`,
	};
}

/**
 * Sends the requests in turn to each origin, as a round-robin balancer would: each origin gets its
 * share of the requests and of the connections, all at once.
 */
export async function sendBalanced(
	origins: readonly string[],
	requests: readonly PreparedRequest[],
	concurrency: number,
): Promise<LoadResult> {
	const results = await Promise.all(
		origins.map((origin, which) =>
			runLoad(
				origin,
				requests.filter((_, index) => index % origins.length === which),
				Math.ceil(concurrency / origins.length),
			),
		),
	);
	const durationSeconds = Math.max(...results.map((result) => result.durationSeconds));
	return {
		requests: requests.length,
		errors: results.reduce((sum, result) => sum + result.errors, 0),
		errorSamples: results.flatMap((result) => result.errorSamples).slice(0, 5),
		durationSeconds,
		requestsPerSecond: requests.length / durationSeconds,
		// Each origin's own percentiles; the slower origin's stand for the round.
		p50Ms: Math.max(...results.map((result) => result.p50Ms)),
		p99Ms: Math.max(...results.map((result) => result.p99Ms)),
	};
}

/** The business step's endpoint: every call's event id, and when the latest one came. */
export class BusinessCalls {
	private readonly calls = new Map<string, number>();
	lastCallAt = 0;

	record(eventId: string): void {
		this.calls.set(eventId, (this.calls.get(eventId) ?? 0) + 1);
		this.lastCallAt = Date.now();
	}

	/**
	 * Waits until each of `eventIds` had its business call, then until n8n has `expected`
	 * executions of the workflow, all successful; throws when an event's step ran more than once.
	 */
	async settle(
		main: N8nInstance,
		{ workflowId }: BenchWorkflow,
		eventIds: readonly string[],
		expected: number,
	): Promise<void> {
		const deadline = Date.now() + SETTLE_TIMEOUT_MS;
		const waitUntil = async (
			what: string,
			done: () => boolean | Promise<boolean>,
			pollMs: number,
		) => {
			while (!(await done())) {
				if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
				await new Promise((resolve) => setTimeout(resolve, pollMs));
			}
		};
		await waitUntil(
			`${eventIds.length} business calls`,
			() => eventIds.every((id) => this.calls.has(id)),
			SETTLE_POLL_MS,
		);
		const doubled = eventIds.filter((id) => this.calls.get(id) !== 1);
		if (doubled.length > 0)
			throw new Error(`Business step ran more than once for ${doubled.slice(0, 5).join(', ')}`);
		await waitUntil(
			`${expected} finished executions`,
			async () =>
				(await countExecutions(main, workflowId, ['new', 'running', 'waiting'])) === 0 &&
				(await countExecutions(main, workflowId)) >= expected,
			COUNT_POLL_MS,
		);
		const succeeded = await countExecutions(main, workflowId, ['success']);
		if (succeeded !== expected)
			throw new Error(`${expected} executions should have succeeded; ${succeeded} did`);
	}
}
