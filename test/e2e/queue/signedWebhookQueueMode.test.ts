import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { type CreatedCredential, type CreatedWorkflow } from '../harness';
import { countExecutions, waitForFinishedExecutions } from '../harness/executionCounts';
import { QueueCluster, type QueueProcess } from '../harness/queueCluster';
import { startRecordingEndpoint, type RecordingEndpoint } from '../../support/recordingEndpoint';
import { waitFor } from '../../support/waitFor';
import { createStoreCredential, eventBody, signedWebhookWorkflow } from './queueWorkflows';
import { type Answer, type Delivery, WebhookSender, shuffled } from './webhookSender';

/**
 * The Signed Webhook Trigger in n8n's queue mode (scripts/queue-topology.mjs: one main, two
 * webhook processors, two workers, PostgreSQL and Redis), once with the Redis store and once with
 * the PostgreSQL store: the trigger's `webhook()` runs on whichever webhook processor got the
 * delivery, the execution on whichever worker took the job, so only a store shared by every
 * process can keep an event to one execution. The business step is an HTTP call that a local
 * recording endpoint counts per event.
 */

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const EVENTS = 2_000;
/** Deliveries in flight at once: enough to put duplicates of one event on both processors at once. */
const SENDERS = 16;
/** Four to five thousand webhook calls and two thousand executions on two shared cores. */
const BULK_TIMEOUT_MS = 45 * 60_000;

const STORES = [{ backend: 'redis' }, { backend: 'postgres' }] as const;

/** Every event delivered twice, every tenth three times, in a shuffled order. */
function redeliveries(eventIds: readonly string[]): Delivery[] {
	const deliveries = eventIds.flatMap((eventId, index) =>
		Array.from({ length: index % 10 === 0 ? 3 : 2 }, () => ({ eventId, body: eventBody(eventId) })),
	);
	return shuffled(deliveries, 12);
}

const countBy = (values: readonly string[]) => {
	const counts = new Map<string, number>();
	for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
	return counts;
};

describe('Signed Webhook Trigger in queue mode (main, 2 webhook processors, 2 workers)', () => {
	let cluster: QueueCluster;
	let businessStep: RecordingEndpoint;
	let signingSecret: CreatedCredential;

	beforeAll(async () => {
		businessStep = await startRecordingEndpoint(() => ({ status: 200, body: { ok: true } }));
		// n8n builds a fresh isolate for each expression scope by default: about 110 ms of CPU per
		// delivery and per execution (bench/README.md), some 30 CPU minutes for this file on a machine
		// of two shared cores. Exactly-once across processes does not depend on the expression
		// engine (the single-process tests run the default one), so these processes use the legacy one.
		cluster = await QueueCluster.start({ extraEnv: { N8N_EXPRESSION_ENGINE: 'legacy' } });
		signingSecret = await cluster.main.createCredential({
			name: 'Standard Webhooks secret',
			type: 'webhookSigningSecretApi',
			data: { secret: SECRET, previousSecrets: '' },
		});
	}, 15 * 60_000);

	afterAll(async () => {
		await cluster?.stop();
		await businessStep?.close();
	});

	describe.each(STORES)('with the $backend store', ({ backend }) => {
		const path = `queue-${backend}-events`;
		let created: CreatedWorkflow;
		let sender: WebhookSender;
		const businessCalls = (eventId?: string) =>
			businessStep.requests
				.filter((request) => request.path === `/${backend}`)
				.map((request) => (request.body as { eventId: string }).eventId)
				.filter((id) => eventId === undefined || id === eventId);

		beforeAll(async () => {
			const store = await createStoreCredential(cluster, backend, 'queue-e2e:');
			created = await cluster.main.createWorkflow(
				signedWebhookWorkflow({
					path,
					backend,
					signingSecret,
					store,
					businessUrl: `${businessStep.url}/${backend}`,
				}),
				{ SIGNING_SECRET: signingSecret, STORE: store },
			);
			await cluster.main.activateWorkflow(created);
			sender = new WebhookSender(cluster.webhookUrls(path), SECRET);
		});

		it('turns 40 deliveries of one event, 20 at once, over both webhook processors into one execution', async () => {
			const eventId = `evt_${backend}_once`;
			const delivery = { eventId, body: eventBody(eventId) };

			const atOnce = await sender.sendAll(Array(20).fill(delivery), 20);
			const oneByOne = await sender.sendAll(Array(20).fill(delivery), 1);
			const answers = [...atOnce, ...oneByOne];

			expect(answers.map((answer) => answer.status)).toEqual(Array(40).fill(200));
			expect(answers.filter((answer) => !answer.body.duplicate)).toHaveLength(1);
			// Each answer is sent after the execution was queued: the count is final once all are in.
			const executions = await waitForFinishedExecutions(cluster.main, created.id, 1, 60_000);
			expect(executions).toEqual({ success: 1 });
			await waitFor('the business step of the event', () => businessCalls(eventId).length > 0);
			expect(businessCalls(eventId)).toEqual([eventId]);
		});

		it(
			`runs the business step of each of ${EVENTS} events once, each delivered twice and every tenth three times`,
			async () => {
				const eventIds = Array.from({ length: EVENTS }, (_, i) => `evt_${backend}_${i}`);
				const executionsBefore = await countExecutions(cluster.main, created.id);
				const callsBefore = businessCalls().length;

				const answers: Answer[] = await sender.sendAll(redeliveries(eventIds), SENDERS);

				const unexpected = answers.filter((answer) => answer.status !== 200);
				expect(unexpected.slice(0, 5)).toEqual([]);
				const accepted = answers
					.filter((answer) => !answer.body.duplicate)
					.map((answer) => answer.eventId);
				expect(accepted.sort()).toEqual([...eventIds].sort());
				await waitFor(
					`${EVENTS} business calls`,
					() => businessCalls().length >= callsBefore + EVENTS,
					BULK_TIMEOUT_MS,
				);
				const executions = await waitForFinishedExecutions(
					cluster.main,
					created.id,
					executionsBefore + EVENTS,
					BULK_TIMEOUT_MS,
				);
				expect(executions).toEqual({ success: executionsBefore + EVENTS });
				const calls = countBy(businessCalls().slice(callsBefore));
				expect([...calls.keys()].sort()).toEqual([...eventIds].sort());
				expect([...calls.entries()].filter(([, count]) => count !== 1)).toEqual([]);
			},
			BULK_TIMEOUT_MS,
		);
	});
	it('shows a notice under an Embedded store choice in the editor of a queue-mode n8n', async () => {
		const [description] = await cluster.main.rest<
			Array<{ properties: Array<{ name: string; type: string; displayName: string }> }>
		>('POST', '/node-types', {
			nodeInfos: [{ name: 'n8n-nodes-hybrid-sync.signedWebhookTrigger', version: 1 }],
		});

		expect(
			description.properties.find((property) => property.name === 'embeddedStoreQueueModeNotice'),
		).toMatchObject({
			type: 'notice',
			displayName: expect.stringContaining('EXECUTIONS_MODE=queue'),
		});
	});

	it("warns in each webhook processor's log when a trigger keeps its keys in the embedded store", async () => {
		const path = 'queue-embedded-events';
		const created = await cluster.main.createWorkflow(
			signedWebhookWorkflow({ path, backend: 'embedded', signingSecret }),
			{ SIGNING_SECRET: signingSecret },
		);
		await cluster.main.activateWorkflow(created);
		const sender = new WebhookSender(cluster.webhookUrls(path), SECRET);
		const warned = (processor: QueueProcess) =>
			readFileSync(processor.logFile, 'utf8').match(
				/The embedded store \(.*\) is a file of this n8n process/g,
			) ?? [];

		const answers = await sender.sendAll(
			['evt_embedded_1', 'evt_embedded_2', 'evt_embedded_3', 'evt_embedded_4'].map((eventId) => ({
				eventId,
				body: eventBody(eventId),
			})),
			1,
		);

		expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
		for (const processor of cluster.webhookProcessors) {
			await waitFor(`the warning in ${processor.logFile}`, () => warned(processor).length > 0);
			expect(warned(processor)).toHaveLength(1);
		}
	});
});
