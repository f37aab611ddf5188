import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { IdempotencyStore } from '../../../lib/store/IdempotencyStore';
import { PostgresStore } from '../../../lib/store/PostgresStore';
import { RedisStore } from '../../../lib/store/RedisStore';
import { BusinessEndpoint } from '../../support/businessEndpoint';
import {
	type DeliveryLog,
	paymentSucceeded,
	StripeSenderSimulator,
} from '../../support/stripeSenderSimulator';
import { waitFor } from '../../support/waitFor';
import {
	inboxIntakeWorkflow,
	inboxNamespace,
	onSharedStore,
	recoverySweepWorkflow,
	SIGNING_SECRET_PLACEHOLDER,
	STORE_PLACEHOLDER,
} from '../crash/crashWorkflows';
import { type CreatedCredential, type CreatedWorkflow, killProcessTree } from '../harness';
import { waitForFinishedExecutions } from '../harness/executionCounts';
import { QueueCluster, type QueueProcess } from '../harness/queueCluster';
import { createStoreCredential } from './queueWorkflows';

/**
 * Issue 12's kill tests with the durable inbox, in n8n's queue mode (one main, two webhook
 * processors, two workers; PostgreSQL, Redis): a Stripe-like sender (retrying connection errors,
 * timeouts and non-2xx, spreading attempts over both webhook processors as a balancer does) sends
 * events to a Signed Webhook Trigger in inbox mode (Redis store, then PostgreSQL); a worker is
 * killed with SIGKILL while runs of it are inside the business step, and a webhook processor is
 * restarted mid-stream. The recovery sweep (on main's schedule, its runs on the workers) takes back the
 * runs the worker took with it. Every event's business step must succeed once: none lost, none
 * doubled. 20 % of the events fail their first one or two tries, so releases cross workers too.
 */

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const EVENTS = 200;
const SENDERS_IN_FLIGHT = 10;
/** Runs of the killed worker that must be inside the business step when it dies. */
const RUNS_CUT = 2;
const KEY_PREFIX = 'queue-kills:';
const TIMEOUT_MS = 20 * 60_000;

const STORES = [{ backend: 'redis' }, { backend: 'postgres' }] as const;

const storeEvents = (backend: string) =>
	Array.from({ length: EVENTS }, (_, index) => {
		const number = String(index).padStart(3, '0');
		return paymentSucceeded(`evt_${backend}_${number}`, `order-${backend}-${number}`, 1000 + index);
	});

/** 20 % of the events fail their first try (every tenth from 1) or first two (every tenth from 6). */
const failingTries = (id: string) => {
	const index = Number(id.slice(-3));
	return index % 10 === 1 ? 1 : index % 10 === 6 ? 2 : 0;
};

/** The executions a worker's log says it started. */
const startedBy = (worker: QueueProcess) =>
	new Set(
		[...readFileSync(worker.logFile, 'utf8').matchAll(/Worker started execution (\d+)/g)].map(
			(match) => match[1],
		),
	);

describe('queue mode, inbox mode: a worker killed mid-run, a webhook processor restarted mid-stream', () => {
	let cluster: QueueCluster;
	let signing: CreatedCredential;

	beforeAll(async () => {
		// Exactly-once across processes does not depend on the expression engine; the legacy one
		// spares the isolate builds (see signedWebhookQueueMode.test.ts).
		cluster = await QueueCluster.start({ extraEnv: { N8N_EXPRESSION_ENGINE: 'legacy' } });
		signing = await cluster.main.createCredential({
			name: 'Stripe signing secret',
			type: 'webhookSigningSecretApi',
			data: { secret: SECRET, previousSecrets: '' },
		});
	}, 15 * 60_000);

	afterAll(async () => {
		await cluster?.stop();
	});

	describe.each(STORES)('with the $backend store', ({ backend }) => {
		const path = `queue-kills-${backend}`;
		const events = storeEvents(backend);
		let endpoint: BusinessEndpoint;
		let sender: StripeSenderSimulator;
		let store: IdempotencyStore;
		let workflows: CreatedWorkflow[];
		let sending: Promise<DeliveryLog[]> | undefined;

		const states = async (ids: readonly string[]) =>
			(await store.inspect(inboxNamespace(path), [...ids])).map((record) => record?.state);

		beforeAll(async () => {
			endpoint = await BusinessEndpoint.start({ failingTries });
			const storeCredential = await createStoreCredential(cluster, backend, KEY_PREFIX);
			store =
				backend === 'redis'
					? new RedisStore({ ...cluster.storeRedis, keyPrefix: KEY_PREFIX })
					: new PostgresStore({ ...cluster.database, ssl: false });
			workflows = [];
			for (const [definition, credentials] of [
				[
					inboxIntakeWorkflow('onReceived')(path, endpoint.url),
					{ [SIGNING_SECRET_PLACEHOLDER]: signing, [STORE_PLACEHOLDER]: storeCredential },
				],
				[recoverySweepWorkflow(path, endpoint.url), { [STORE_PLACEHOLDER]: storeCredential }],
			] as const) {
				const created = await cluster.main.createWorkflow(
					onSharedStore(definition, backend, storeCredential.name),
					credentials,
				);
				await cluster.main.activateWorkflow(created);
				workflows.push(created);
			}
			sender = new StripeSenderSimulator(cluster.webhookUrls(path), SECRET);
		});

		afterAll(async () => {
			sender?.stop();
			await sending;
			await store?.close();
			await endpoint?.close();
		});

		it(
			`runs the business step of each of ${EVENTS} events once`,
			async () => {
				sending = sender.sendAll(events, SENDERS_IN_FLIGHT);

				await waitFor('60 acknowledged events', () => sender.acknowledged >= 60, TIMEOUT_MS);
				const [victim] = cluster.workers;
				endpoint.hold();
				const victimsCalls = () => {
					const started = startedBy(victim);
					return endpoint.held.filter((call) => call.execution && started.has(call.execution));
				};
				// Every success so far has its Complete: the kill cuts runs inside the business step only.
				await waitFor(
					`${RUNS_CUT} runs of ${victim.name} inside the business step`,
					async () =>
						victimsCalls().length >= RUNS_CUT &&
						(await states([...endpoint.successCounts().keys()])).every(
							(state) => state === 'completed',
						),
					5 * 60_000,
				);
				const cut = victimsCalls();
				await killProcessTree(victim.process);
				await waitFor('the killed runs to hang up', () => cut.every((call) => call.gone));
				endpoint.resume();
				await victim.restart();

				await waitFor('130 acknowledged events', () => sender.acknowledged >= 130, TIMEOUT_MS);
				await cluster.webhookProcessors[0].restart();
				const logs = await sending;

				expect(logs.filter((log) => !log.acknowledged).map((log) => log.event.id)).toEqual([]);
				const ids = events.map((event) => event.id);
				await waitFor(
					'every event completed',
					async () => (await states(ids)).every((state) => state === 'completed'),
					TIMEOUT_MS,
				);
				for (const workflow of workflows) {
					await waitForFinishedExecutions(cluster.main, workflow.id, 0, TIMEOUT_MS);
				}
				const lost = ids.filter((id) => endpoint.successes(id) === 0);
				const doubled = ids.filter((id) => endpoint.successes(id) > 1);
				console.log(
					`queue mode kills, ${backend} store: ${JSON.stringify({
						events: EVENTS,
						runsCut: endpoint.dropped.length,
						lost: lost.length,
						doubled: doubled.length,
					})}`,
				);
				expect(endpoint.dropped.length).toBeGreaterThanOrEqual(RUNS_CUT);
				expect(lost).toEqual([]);
				expect(doubled).toEqual([]);
			},
			TIMEOUT_MS,
		);
	});
});
