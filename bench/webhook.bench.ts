import { randomUUID } from 'node:crypto';
import os from 'node:os';

import { N8nInstance, type CreatedCredential, type WorkflowDefinition } from '../test/e2e/harness';
import { runLoad, type LoadResult, type PreparedRequest } from './support/load';
import { stripeEventBody, stripeSignature } from './support/payload';
import { descendantsCpuSeconds } from './support/processCpu';
import { writeSuiteResult } from './support/results';
import { median, round } from './support/stats';

/**
 * A real n8n with three webhook workflows active side by side, each loaded in turn with the same
 * 1 KB JSON body:
 *   a. n8n's own Webhook node (header auth, respond immediately): the reference.
 *   b. the Signed Webhook Trigger (version 2) with a new, validly signed Stripe event per request:
 *      verify, dedup claim, one execution each.
 *   c. the Signed Webhook Trigger with an event it has already seen: verify, dedup lookup, answered
 *      as a duplicate, no execution.
 *   d. a path no workflow registered: n8n's 404, the floor of what any request costs.
 *   e. version 3 in Keep and Claim mode (its default) with a new event per request: verify, keep
 *      the delivery in the inbox, claim the event, one execution each (compare with b).
 *   f. version 3 in Keep and Claim mode with an event completed before (the workflow ends in
 *      Idempotency Check Complete): verify, keep (a repeat receipt), claim answers completed,
 *      answered as a duplicate, no execution (compare with c).
 * Each round waits until n8n has finished every execution it started, so rounds do not overlap.
 * The whole run is made twice: under n8n's defaults, then with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE.
 */

// n8n 2.41 builds a fresh V8 isolate for every execution and for every webhook call to a node other
// than its own Webhook node, which holds it to 10-25 requests per second on two cores: with 2,000
// requests a round this suite would run for half an hour.
const WARM_UP_REQUESTS = 30;
const ROUNDS = 3;
const REQUESTS_PER_ROUND = 150;
const CONCURRENCY = 16;
const BODY_BYTES = 1024;
const SETTLE_TIMEOUT_MS = 300_000;
const SETTLE_POLL_MS = 500;

const STRIPE_SECRET = 'whsec_bench_stripe_signing_secret';
const AUTH_HEADER = 'x-bench-token';
const AUTH_TOKEN = `bench-${randomUUID()}`;
const ALREADY_SEEN_EVENT = 'evt_bench_already_seen';

type ScenarioKey = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

interface Scenario {
	key: ScenarioKey;
	name: string;
	/** Absent for the unregistered path: nothing to settle. */
	workflowId?: string;
	/** Executions each answered request starts. */
	executionsPerRequest: 0 | 1;
	/** `batch` keeps event ids unique across warm-up and rounds. */
	prepare(count: number, batch: string): PreparedRequest[];
}

interface RoundResult extends LoadResult {
	scenario: ScenarioKey;
	round: number;
	settleSeconds: number;
	/** CPU time of n8n (and its task runner) from the first request until every execution ended. */
	n8nCpuMsPerRequest: number;
	loadAverage: number;
}

const json = (text: string): Record<string, unknown> | undefined => {
	try {
		return JSON.parse(text) as Record<string, unknown>;
	} catch {
		return undefined;
	}
};

const eventId = (batch: string, index: number) =>
	`evt_bench_${batch}_${String(index).padStart(6, '0')}`;

function webhookNode(path: string): WorkflowDefinition {
	return {
		name: 'Bench: n8n Webhook (header auth)',
		nodes: [
			{
				id: randomUUID(),
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2.1,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: {
					httpMethod: 'POST',
					path,
					authentication: 'headerAuth',
					responseMode: 'onReceived',
					options: {},
				},
				credentials: { httpHeaderAuth: { id: 'HEADER_AUTH', name: 'Bench header auth' } },
			},
		],
		connections: {},
	};
}

/** The trigger alone (version 2, dedup at receipt; version 3, Keep and Claim), or followed by Complete. */
function signedWebhookTrigger(
	name: string,
	path: string,
	typeVersion: 2 | 3 = 2,
	complete = false,
): WorkflowDefinition {
	const trigger = {
		id: randomUUID(),
		name: 'Stripe Events',
		type: 'n8n-nodes-hybrid-sync.signedWebhookTrigger',
		typeVersion,
		position: [0, 0] as [number, number],
		webhookId: randomUUID(),
		parameters: { path, scheme: 'stripe' },
		credentials: {
			webhookSigningSecretApi: { id: 'SIGNING_SECRET', name: 'Bench Stripe secret' },
		},
	};
	if (!complete) return { name, nodes: [trigger], connections: {} };
	const markDone = {
		id: randomUUID(),
		name: 'Mark Done',
		type: 'n8n-nodes-hybrid-sync.idempotencyCheck',
		typeVersion: 1,
		position: [220, 0] as [number, number],
		parameters: { operation: 'complete', key: '={{ $json.id }}', namespace: `webhook:${path}` },
	};
	return {
		name,
		nodes: [trigger, markDone],
		connections: {
			'Stripe Events': { main: [[{ node: 'Mark Done', type: 'main', index: 0 }]] },
		},
	};
}

const stripeHeaders = (body: string) => ({
	'content-type': 'application/json',
	'stripe-signature': stripeSignature(body, STRIPE_SECRET, Math.floor(Date.now() / 1000)),
});

async function createScenarios(n8n: N8nInstance): Promise<Scenario[]> {
	const headerAuth = await n8n.createCredential({
		name: 'Bench header auth',
		type: 'httpHeaderAuth',
		data: { name: AUTH_HEADER, value: AUTH_TOKEN },
	});
	const signingSecret = await n8n.createCredential({
		name: 'Bench Stripe secret',
		type: 'webhookSigningSecretApi',
		data: { secret: STRIPE_SECRET, previousSecrets: '' },
	});
	const activate = async (
		definition: WorkflowDefinition,
		credentials: Record<string, CreatedCredential>,
	) => {
		const workflow = await n8n.createWorkflow(definition, credentials);
		await n8n.activateWorkflow(workflow);
		return workflow.id;
	};
	const paths = {
		a: 'bench-n8n-webhook',
		b: 'bench-signed-unique',
		c: 'bench-signed-duplicate',
		e: 'bench-inbox-unique',
		f: 'bench-inbox-completed',
	};
	/** A new, validly signed event per request, answered as accepted. */
	const newEvents =
		(path: string) =>
		(count: number, batch: string): PreparedRequest[] =>
			Array.from({ length: count }, (_, index) => {
				const id = eventId(batch, index);
				const body = stripeEventBody(id, BODY_BYTES);
				return {
					path: `/webhook/${path}`,
					headers: stripeHeaders(body),
					body,
					check: (status, text) => {
						const answer = json(text);
						const accepted = status === 200 && answer?.id === id && answer.duplicate === undefined;
						return accepted ? undefined : `status ${status}: ${text.slice(0, 200)}`;
					},
				};
			});
	/** A sender's retry: the same event, signed again just now, answered as a duplicate. */
	const alreadySeen =
		(path: string) =>
		(count: number): PreparedRequest[] => {
			const body = stripeEventBody(ALREADY_SEEN_EVENT, BODY_BYTES);
			const headers = stripeHeaders(body);
			return Array.from({ length: count }, () => ({
				path: `/webhook/${path}`,
				headers,
				body,
				check: (status, text) =>
					status === 200 && json(text)?.duplicate === true
						? undefined
						: `status ${status}: ${text.slice(0, 200)}`,
			}));
		};
	return [
		{
			key: 'a',
			name: 'n8n Webhook node, header auth',
			workflowId: await activate(webhookNode(paths.a), { HEADER_AUTH: headerAuth }),
			executionsPerRequest: 1,
			prepare: (count, batch) =>
				Array.from({ length: count }, (_, index) => ({
					path: `/webhook/${paths.a}`,
					headers: { 'content-type': 'application/json', [AUTH_HEADER]: AUTH_TOKEN },
					body: stripeEventBody(eventId(batch, index), BODY_BYTES),
					check: (status) => (status === 200 ? undefined : `status ${status}`),
				})),
		},
		{
			key: 'b',
			name: 'Signed Webhook Trigger v2, new events',
			workflowId: await activate(signedWebhookTrigger('Bench: signed, unique', paths.b), {
				SIGNING_SECRET: signingSecret,
			}),
			executionsPerRequest: 1,
			prepare: newEvents(paths.b),
		},
		{
			key: 'c',
			name: 'Signed Webhook Trigger v2, already seen',
			workflowId: await activate(signedWebhookTrigger('Bench: signed, duplicate', paths.c), {
				SIGNING_SECRET: signingSecret,
			}),
			executionsPerRequest: 0,
			prepare: alreadySeen(paths.c),
		},
		{
			key: 'd',
			name: 'unregistered path (n8n answers 404)',
			executionsPerRequest: 0,
			prepare: (count) => {
				const body = stripeEventBody(ALREADY_SEEN_EVENT, BODY_BYTES);
				return Array.from({ length: count }, () => ({
					path: '/webhook/bench-no-such-path',
					headers: stripeHeaders(body),
					body,
					check: (status) => (status === 404 ? undefined : `status ${status}`),
				}));
			},
		},
		{
			key: 'e',
			name: 'Signed Webhook Trigger v3 Keep and Claim, new events',
			workflowId: await activate(signedWebhookTrigger('Bench: inbox, unique', paths.e, 3), {
				SIGNING_SECRET: signingSecret,
			}),
			executionsPerRequest: 1,
			prepare: newEvents(paths.e),
		},
		{
			key: 'f',
			name: 'Signed Webhook Trigger v3 Keep and Claim, completed before',
			workflowId: await activate(
				signedWebhookTrigger('Bench: inbox, completed', paths.f, 3, true),
				{ SIGNING_SECRET: signingSecret },
			),
			executionsPerRequest: 0,
			prepare: alreadySeen(paths.f),
		},
	];
}

/** n8n's own count of the workflow's executions: finished ones, or only those with `status`. */
async function countExecutions(
	n8n: N8nInstance,
	workflowId: string,
	status?: string[],
): Promise<number> {
	const filter = JSON.stringify(status ? { workflowId, status } : { workflowId });
	const page = await n8n.rest<{ count: number }>(
		'GET',
		`/executions?${new URLSearchParams({ filter, limit: '1' })}`,
	);
	return page.count;
}

/**
 * Waits until the workflow has `expected` finished executions and none queued or running, then
 * checks every one of them succeeded.
 */
async function settle(n8n: N8nInstance, scenario: Scenario, expected: number): Promise<void> {
	const { workflowId } = scenario;
	if (workflowId === undefined) return;
	const deadline = Date.now() + SETTLE_TIMEOUT_MS;
	for (;;) {
		const running = await countExecutions(n8n, workflowId, ['new', 'running']);
		const finished = await countExecutions(n8n, workflowId);
		if (running === 0 && finished >= expected) {
			const succeeded = await countExecutions(n8n, workflowId, ['success']);
			if (finished !== expected || succeeded !== expected) {
				throw new Error(
					`Scenario ${scenario.key} should have ${expected} successful executions; n8n has ${finished} finished, ${succeeded} successful`,
				);
			}
			return;
		}
		if (Date.now() > deadline) {
			throw new Error(
				`Scenario ${scenario.key}: executions still running after ${SETTLE_TIMEOUT_MS / 1000} s`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
	}
}

/** The settings measured, each in its own n8n: its defaults, then lazy isolate acquisition. */
const SETTINGS: Array<{ label: string; env: Record<string, string> }> = [
	{ label: 'defaults', env: {} },
	{ label: 'lazy acquire', env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' } },
];

type Summary = Record<'rps' | 'p50' | 'p99' | 'cpu' | 'errors', number> & { name: string };

async function measureSetting(
	env: Record<string, string>,
): Promise<{ summaries: Map<ScenarioKey, Summary>; rounds: RoundResult[]; n8nLog?: string }> {
	const n8n = await N8nInstance.start({ env });
	try {
		const origin = new URL(n8n.baseUrl).origin;
		const scenarios = await createScenarios(n8n);
		const expectedExecutions = new Map<ScenarioKey, number>(scenarios.map(({ key }) => [key, 0]));

		const load = async (scenario: Scenario, count: number, batch: string) => {
			const requests = scenario.prepare(count, batch);
			const cpuBefore = descendantsCpuSeconds();
			const result = await runLoad(origin, requests, CONCURRENCY);
			const loadDoneAt = Date.now();
			const expected =
				expectedExecutions.get(scenario.key)! +
				(result.requests - result.errors) * scenario.executionsPerRequest;
			expectedExecutions.set(scenario.key, expected);
			await settle(n8n, scenario, expected);
			return {
				...result,
				settleSeconds: (Date.now() - loadDoneAt) / 1000,
				n8nCpuMsPerRequest: ((descendantsCpuSeconds() - cpuBefore) * 1000) / result.requests,
			};
		};

		// The duplicate scenarios need their event seen (c) or completed (f) once: that first
		// delivery runs one execution.
		for (const scenario of scenarios.filter(({ key }) => key === 'c' || key === 'f')) {
			const [seed] = scenario.prepare(1, 'seed');
			const seeded = await fetch(`${origin}${seed.path}`, {
				method: 'POST',
				headers: seed.headers,
				body: seed.body,
			});
			const seedAnswer = await seeded.text();
			if (
				seeded.status !== 200 ||
				json(seedAnswer)?.id !== ALREADY_SEEN_EVENT ||
				json(seedAnswer)?.duplicate
			) {
				throw new Error(`Seeding the already-seen event failed: ${seeded.status} ${seedAnswer}`);
			}
			expectedExecutions.set(scenario.key, 1);
			await settle(n8n, scenario, 1);
		}

		for (const scenario of scenarios) {
			const warmUp = await load(scenario, WARM_UP_REQUESTS, 'warmup');
			console.log(
				`warm-up ${scenario.key}: ${Math.round(warmUp.requestsPerSecond)} req/s, ${warmUp.errors} errors`,
			);
		}

		const rounds: RoundResult[] = [];
		for (let round = 0; round < ROUNDS; round++) {
			// Each round starts with another scenario, so a drift in the machine is shared out.
			const order = scenarios.map((_, index) => scenarios[(index + round) % scenarios.length]);
			for (const scenario of order) {
				const result = await load(scenario, REQUESTS_PER_ROUND, `r${round}`);
				rounds.push({
					...result,
					scenario: scenario.key,
					round: round + 1,
					loadAverage: os.loadavg()[0],
				});
				console.log(
					`round ${round + 1} ${scenario.key}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ${result.errors} errors, settled in ${result.settleSeconds.toFixed(1)} s`,
				);
				for (const sample of result.errorSamples) console.log(`  error: ${sample}`);
			}
		}

		const summaries = new Map<ScenarioKey, Summary>();
		for (const { key, name } of scenarios) {
			const mine = rounds.filter((result) => result.scenario === key);
			summaries.set(key, {
				name,
				rps: median(mine.map((result) => result.requestsPerSecond)),
				p50: median(mine.map((result) => result.p50Ms)),
				p99: median(mine.map((result) => result.p99Ms)),
				cpu: median(mine.map((result) => result.n8nCpuMsPerRequest)),
				errors: mine.reduce((sum, result) => sum + result.errors, 0),
			});
		}
		return { summaries, rounds, n8nLog: n8n.logFile };
	} finally {
		await n8n.stop();
	}
}

async function main(): Promise<void> {
	// n8n inherits this environment: an N8N_ variable set here changes what is measured.
	const n8nSettings = Object.fromEntries(
		Object.entries(process.env).filter(([name]) => name.startsWith('N8N_')),
	);
	const table: Array<Record<string, string | number>> = [];
	const details: Record<string, unknown> = {};
	let errors = 0;
	for (const setting of SETTINGS) {
		console.log(
			`Starting n8n (${setting.label}; installs this package from dist/) with ${JSON.stringify({ ...n8nSettings, ...setting.env })} over its defaults...`,
		);
		const { summaries, rounds, n8nLog } = await measureSetting(setting.env);
		for (const [key, s] of summaries) {
			table.push({
				setting: setting.label,
				scenario: `${key}. ${s.name}`,
				'req/s': Math.round(s.rps),
				'p50 ms': round(s.p50, 1),
				'p99 ms': round(s.p99, 1),
				'n8n CPU ms/req': round(s.cpu, 2),
				errors: s.errors,
			});
		}
		const a = summaries.get('a')!;
		for (const key of ['b', 'c'] as const) {
			const s = summaries.get(key)!;
			table.push({
				setting: setting.label,
				scenario: `${key} / a (ratio)`,
				'req/s': round(s.rps / a.rps, 2),
				'p50 ms': round(s.p50 / a.p50, 2),
				'p99 ms': round(s.p99 / a.p99, 2),
				'n8n CPU ms/req': round(s.cpu / a.cpu, 2),
				errors: '',
			});
		}
		// Issue 11's goal: the inbox at most 10 % slower than dedup at receipt on the 2xx path.
		for (const [inbox, today] of [
			['e', 'b'],
			['f', 'c'],
		] as const) {
			const s = summaries.get(inbox)!;
			const t = summaries.get(today)!;
			table.push({
				setting: setting.label,
				scenario: `${inbox} / ${today} (ratio, inbox against dedup at receipt)`,
				'req/s': round(s.rps / t.rps, 2),
				'p50 ms': round(s.p50 / t.p50, 2),
				'p99 ms': round(s.p99 / t.p99, 2),
				'n8n CPU ms/req': round(s.cpu / t.cpu, 2),
				errors: '',
			});
		}
		const c = summaries.get('c')!;
		const d = summaries.get('d')!;
		table.push({
			setting: setting.label,
			scenario: 'c CPU / d CPU (duplicate against 404)',
			'req/s': '',
			'p50 ms': '',
			'p99 ms': '',
			'n8n CPU ms/req': round(c.cpu / d.cpu, 2),
			errors: '',
		});
		details[setting.label] = {
			env: setting.env,
			n8nLog,
			measurements: rounds.map(({ errorSamples, ...result }) => ({
				...result,
				...(errorSamples.length ? { errorSamples } : {}),
			})),
		};
		errors += rounds.reduce((sum, result) => sum + result.errors, 0);
	}
	writeSuiteResult({
		suite: 'webhook',
		table,
		details: {
			warmUpRequests: WARM_UP_REQUESTS,
			rounds: ROUNDS,
			requestsPerRound: REQUESTS_PER_ROUND,
			concurrency: CONCURRENCY,
			bodyBytes: BODY_BYTES,
			n8nSettings,
			settings: details,
		},
	});
	if (errors > 0)
		throw new Error(`${errors} request(s) got an unexpected answer; see the error lines above`);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
