import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Redis from 'ioredis';

import { type CreatedWorkflow } from '../harness';
import { QueueCluster } from '../harness/queueCluster';
import { listenLocally, type LocalServer } from '../../support/localServer';
import { waitFor } from '../../support/waitFor';
import { createStoreCredential, eventBody, signedWebhookWorkflow } from './queueWorkflows';
import { type Delivery, WebhookSender, shuffled } from './webhookSender';

/**
 * The queue-mode topology while a part of it fails: the store's Redis down for 10 s. The Signed
 * Webhook Trigger (Redis store) feeds a business step that a local endpoint counts per event; it
 * records a call when it arrives and answers 300 ms later, so that runs are in flight meanwhile.
 */

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const PATH = 'queue-failure-events';
const TIMEOUT_MS = 30 * 60_000;

const twice = (eventIds: readonly string[], seed: number): Delivery[] =>
	shuffled(
		eventIds.flatMap((eventId) => [0, 1].map(() => ({ eventId, body: eventBody(eventId) }))),
		seed,
	);

describe('queue mode while the store fails (Redis store)', () => {
	let cluster: QueueCluster;
	let endpoint: LocalServer;
	const calls: string[] = [];
	let created: CreatedWorkflow;
	let restartedRedis: ChildProcess | undefined;

	const callCounts = (eventIds: readonly string[]) => {
		const counts = new Map(eventIds.map((id) => [id, 0]));
		for (const id of calls) if (counts.has(id)) counts.set(id, counts.get(id)! + 1);
		return {
			lost: [...counts].filter(([, count]) => count === 0).map(([id]) => id),
			doubled: [...counts].filter(([, count]) => count > 1).map(([id]) => id),
		};
	};

	beforeAll(async () => {
		endpoint = await listenLocally(
			createServer((request, response) => {
				let text = '';
				request.on('data', (chunk: Buffer) => (text += chunk.toString()));
				request.on('end', () => {
					calls.push((JSON.parse(text) as { eventId: string }).eventId);
					setTimeout(() => response.writeHead(200).end('{}'), 300);
				});
			}),
		);
		cluster = await QueueCluster.start({ extraEnv: { N8N_EXPRESSION_ENGINE: 'legacy' } });
		const signingSecret = await cluster.main.createCredential({
			name: 'Standard Webhooks secret',
			type: 'webhookSigningSecretApi',
			data: { secret: SECRET, previousSecrets: '' },
		});
		const store = await createStoreCredential(cluster, 'redis', 'queue-failures:');
		created = await cluster.main.createWorkflow(
			signedWebhookWorkflow({
				path: PATH,
				backend: 'redis',
				signingSecret,
				store,
				businessUrl: `${endpoint.origin}/business`,
			}),
			{ SIGNING_SECRET: signingSecret, STORE: store },
		);
		await cluster.main.activateWorkflow(created);
	}, 15 * 60_000);

	afterAll(async () => {
		restartedRedis?.kill('SIGKILL');
		await cluster?.stop();
		await endpoint?.close();
	});

	it(
		"answers 503 with Retry-After while the store's Redis is down for 10 s, and loses nothing once it is back",
		async () => {
			const eventIds = Array.from({ length: 300 }, (_, i) => `evt_redis_down_${i}`);
			const sender = new WebhookSender(cluster.webhookUrls(PATH), SECRET, { retryFailures: true });
			const callsBefore = calls.length;

			const sending = sender.sendAll(twice(eventIds, 9), 8);
			await waitFor('50 business calls', () => calls.length >= callsBefore + 50, TIMEOUT_MS);
			restartedRedis = await stopRedisFor(10_000, cluster.storeRedis);
			const answers = await sending;

			const refusals = answers.flatMap((a) => a.refusals);
			const outcome = {
				refused: countStatuses(refusals),
				refusedWithRetryAfter: refusals.filter((a) => a.retryAfter !== null).length,
				answered: countStatuses(answers),
				...callCounts(eventIds),
			};
			console.log(
				`store Redis down 10 s: ${JSON.stringify({ ...outcome, lost: outcome.lost.length, doubled: outcome.doubled.length })}`,
			);
			expect(refusals.length).toBeGreaterThan(0);
			expect(outcome.refused).toEqual({ 503: refusals.length });
			expect(outcome.refusedWithRetryAfter).toBe(refusals.length);
			expect(outcome.answered).toEqual({ 200: answers.length });
			await waitFor(
				'every business call',
				() => callCounts(eventIds).lost.length === 0,
				5 * 60_000,
			);
			expect(callCounts(eventIds).doubled).toEqual([]);
		},
		TIMEOUT_MS,
	);
});

function countStatuses(items: ReadonlyArray<{ status: number | string }>): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const { status } of items) counts[status] = (counts[status] ?? 0) + 1;
	return counts;
}

/**
 * Shuts Redis down with its keys saved (SHUTDOWN SAVE), and after `downMs` starts it again as
 * scripts/services.mjs did: same port, password and folder, so it loads the keys back.
 */
async function stopRedisFor(
	downMs: number,
	redis: { host: string; port: number; password: string; pid: number },
): Promise<ChildProcess> {
	const { host, port, password } = redis;
	const client = new Redis({ host, port, password, lazyConnect: true, retryStrategy: () => null });
	client.on('error', () => undefined);
	await client.connect();
	const [, folder] = (await client.config('GET', 'dir')) as [string, string];
	await client.call('SHUTDOWN', 'SAVE').catch(() => undefined);
	client.disconnect();
	await waitFor('Redis to exit', () => !isRunning(redis.pid));
	await new Promise((resolve) => setTimeout(resolve, downMs));
	const restarted = spawn(
		'redis-server',
		[
			'--port',
			String(port),
			'--bind',
			host,
			'--save',
			'',
			'--appendonly',
			'no',
			'--dir',
			folder,
			'--requirepass',
			password,
		],
		{ stdio: 'ignore' },
	);
	await waitFor('Redis to answer again', async () => {
		const probe = new Redis({ host, port, password, lazyConnect: true, retryStrategy: () => null });
		probe.on('error', () => undefined);
		try {
			await probe.connect();
			return (await probe.ping()) === 'PONG';
		} catch {
			return false;
		} finally {
			probe.disconnect();
		}
	});
	return restarted;
}

function isRunning(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}
