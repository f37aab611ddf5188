import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { isTerminalExecutionStatus } from 'n8n-workflow';

import { configuredOutputs, type OutputName } from '../../../nodes/Reconcile/Reconcile.description';
import { type CreatedWorkflow, type ExecutionDetail, outputItems } from '../harness';
import { countExecutions, waitForFinishedExecutions } from '../harness/executionCounts';
import { QueueCluster } from '../harness/queueCluster';
import { startMockChangesApi, type MockChangesApi } from '../../support/mockChangesApi';
import { listenLocally } from '../../support/localServer';
import { waitFor } from '../../support/waitFor';
import {
	cursorPollWorkflow,
	reconcileSweepWorkflow,
	signedWebhookIntakeWorkflow,
} from './pollAndReconcileWorkflows';
import { createStoreCredential, eventBody } from './queueWorkflows';
import { WebhookSender, shuffled } from './webhookSender';

/**
 * The polling leg and the sweep in n8n's queue mode (scripts/queue-topology.mjs: one main, two
 * webhook processors, two workers, PostgreSQL and Redis). Where their code runs, read in n8n
 * 2.41.1's dist:
 * - The Cursor Poll Trigger is a `trigger()` node: active-workflow-manager.js adds trigger and
 *   poll nodes only where `shouldAddNonWebhookTriggers()`, i.e. `instanceSettings.isLeader` (a
 *   single main is always the leader), so it polls on main alone.
 * - Its executions run on workers: workflow-runner.js enqueues every non-manual run in queue mode
 *   (`enqueueExecution`), then waits on the Bull job (`await job.finished()`) and only then
 *   finalizes the execution with the worker's status and error; the emit's done promise is that
 *   post-execute promise (trigger-execution-context.factory.js, `settleDonePromise`). So the
 *   trigger learns a worker's outcome before it commits its cursor.
 * - A Schedule Trigger is a trigger too: the sweep is started on main and runs on a worker.
 * A worker logs "Worker finished execution <id> (job <n>)" (scaling/job-processor.js): that is how
 * these tests tell which process ran an execution.
 */

const TIMEOUT_MS = 5 * 60_000;
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

interface BusinessCall {
	path: string;
	eventId: string;
	via: string;
	/** What the endpoint answered. */
	status: number;
}

/**
 * The downstream system the business steps call with `{ eventId, via }`: it answers 500 to the
 * first call for each ID in `failingOnce`, else 200, and keeps each call as it answers it. While
 * held, it answers nothing until released, so that a run stays in flight on a worker.
 */
async function startBusinessEndpoint(failingOnce: Set<string>) {
	const calls: BusinessCall[] = [];
	let held: Array<() => void> | undefined;
	const server = createServer((request, response) => {
		let text = '';
		request.on('data', (chunk: Buffer) => (text += chunk.toString()));
		request.on('end', () => {
			const { eventId, via } = JSON.parse(text) as { eventId: string; via: string };
			const answer = () => {
				const status = failingOnce.delete(eventId) ? 500 : 200;
				calls.push({ path: request.url ?? '/', eventId, via, status });
				response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
			};
			if (held) held.push(answer);
			else answer();
		});
	});
	const { origin, close } = await listenLocally(server);
	return {
		url: origin,
		calls,
		hold: () => {
			held = [];
		},
		heldCalls: () => held?.length ?? 0,
		release: () => {
			const waiting = held ?? [];
			held = undefined;
			for (const answer of waiting) answer();
		},
		close,
	};
}

/** Per event ID, the calls the business step made that succeeded. */
function successesById(calls: readonly BusinessCall[]): Map<string, number> {
	const counts = new Map<string, number>();
	for (const call of calls) {
		if (call.status === 200) counts.set(call.eventId, (counts.get(call.eventId) ?? 0) + 1);
	}
	return counts;
}

const idsOf = (items: ReadonlyArray<{ id?: unknown }>) =>
	items.map((item) => String(item.id)).sort();

describe('Cursor Poll Trigger and Reconcile in queue mode (main, 2 webhook processors, 2 workers)', () => {
	let cluster: QueueCluster;
	let business: Awaited<ReturnType<typeof startBusinessEndpoint>>;

	/** The business step's calls on one path (one per workflow kind). */
	const businessCalls = (path: string) => business.calls.filter((call) => call.path === path);

	/** The workers whose log says they ran the execution. */
	const workersThatRan = (executionId: string) =>
		cluster.workers
			.filter((worker) =>
				readFileSync(worker.logFile, 'utf8').includes(
					`Worker finished execution ${executionId} (job`,
				),
			)
			.map((worker) => worker.name);

	const expectRanOnOneWorker = async (executionIds: readonly string[]) => {
		for (const id of executionIds) {
			await waitFor(
				`a worker's log line for execution ${id}`,
				() => workersThatRan(id).length > 0,
				30_000,
			);
			expect(workersThatRan(id)).toHaveLength(1);
		}
	};

	beforeAll(async () => {
		business = await startBusinessEndpoint(new Set(['order-004']));
		// The legacy expression engine spares the shared CPU an isolate per execution; what is tested
		// here (which process runs what, and what the store decides) does not depend on it.
		cluster = await QueueCluster.start({ extraEnv: { N8N_EXPRESSION_ENGINE: 'legacy' } });
	}, 15 * 60_000);

	afterAll(async () => {
		await cluster?.stop();
		await business?.close();
	});

	describe('Cursor Poll Trigger on main, its runs on workers (Redis store)', () => {
		let changes: MockChangesApi;
		let created: CreatedWorkflow;
		/** Well behind the clock, so the Safety Margin never holds a record back. */
		const base = Date.now() - 2 * 60 * 60_000;
		const namespace = 'queue-erp-orders';

		beforeAll(async () => {
			// Three records per timestamp: ties straddle the pages of 5 and the polls of 2 pages.
			changes = await startMockChangesApi({
				records: Array.from({ length: 12 }, (_, i) => ({
					id: `order-${String(i).padStart(3, '0')}`,
					updatedAt: base + Math.floor(i / 3) * 1000,
				})),
			});
			const store = await createStoreCredential(cluster, 'redis', 'queue-poll:');
			created = await cluster.main.createWorkflow(
				cursorPollWorkflow({
					changesUrl: changes.url,
					backfillFrom: new Date(base - 60_000),
					businessUrl: `${business.url}/erp`,
					namespace,
					store,
				}),
				{ STORE: store },
			);
			await cluster.main.activateWorkflow(created);
		});

		afterAll(async () => {
			await changes?.close();
		});

		it("commits only after a worker's run succeeded: the records of a run that failed come again at the next poll", async () => {
			const initial = changes.records().map((record) => record.id);

			await waitFor(
				'every initial record through the business step',
				() => initial.every((id) => successesById(businessCalls('/erp')).has(id)),
				TIMEOUT_MS,
			);
			// Poll 1 (records 0-9) failed on order-004, poll 2 read the same ten, poll 3 the last two.
			const executions = (await cluster.main.waitForExecutions(created.id, 3, TIMEOUT_MS)).sort(
				(a, b) => Number(a.id) - Number(b.id),
			);

			const failed = executions.filter((execution) => execution.status === 'error');
			expect(failed).toHaveLength(1);
			const next = executions[executions.indexOf(failed[0]) + 1];
			expect(next.status).toBe('success');
			const [failedRun, nextRun] = await Promise.all(
				[failed[0], next].map((execution) => cluster.main.getExecution(execution.id)),
			);
			const emitted = (run: ExecutionDetail) => idsOf(outputItems(run, 'Order Changes'));
			expect(emitted(failedRun)).toContain('order-004');
			expect(failedRun.data.resultData.lastNodeExecuted).toBe('Fail the Run');
			// Had the cursor been committed past them, the next poll would not have read them: it read
			// the same records, the failed one claimed anew (released), the rest completed by the failed run.
			expect(emitted(nextRun)).toEqual(emitted(failedRun));
			expect(idsOf(outputItems(nextRun, 'Claim Order', 0))).toEqual(['order-004']);
			expect(idsOf(outputItems(nextRun, 'Claim Order', 1))).toEqual(
				emitted(failedRun).filter((id) => id !== 'order-004'),
			);
			expect(businessCalls('/erp').filter((call) => call.eventId === 'order-004')).toEqual([
				{ path: '/erp', eventId: 'order-004', via: 'poll', status: 500 },
				{ path: '/erp', eventId: 'order-004', via: 'poll', status: 200 },
			]);
			expect(Object.fromEntries(successesById(businessCalls('/erp')))).toEqual(
				Object.fromEntries(initial.map((id) => [id, 1])),
			);
			// Polled on main, run on workers.
			await expectRanOnOneWorker(executions.map((execution) => execution.id));
			expect(readFileSync(cluster.main.logFile!, 'utf8')).toContain('Cursor poll finished');
			for (const process of [...cluster.workers, ...cluster.webhookProcessors]) {
				expect(readFileSync(process.logFile, 'utf8')).not.toContain('Cursor poll');
			}
		});

		it("loses no record added while main restarts mid-stream with a run in flight, and runs each record's business step once", async () => {
			const streamed: string[] = [];
			let tick = 0;
			// Two records per tick, sharing a timestamp later than every earlier one.
			const stream = setInterval(() => {
				tick++;
				const updatedAt = base + 60_000 + tick * 1000;
				const ids = ['a', 'b'].map((suffix) => `stream-${String(tick).padStart(3, '0')}-${suffix}`);
				changes.insert(ids.map((id) => ({ id, updatedAt })));
				streamed.push(...ids);
			}, 400);
			const delivered = () => successesById(businessCalls('/erp'));
			const lastBefore = Math.max(
				...(await cluster.main.listExecutions(created.id)).map((execution) => Number(execution.id)),
			);

			try {
				await waitFor(
					'some streamed records through the business step before the restart',
					() => streamed.filter((id) => delivered().has(id)).length >= 6,
					TIMEOUT_MS,
				);
				// A run in flight on a worker while main goes: main waits for it on SIGTERM, in vain, until
				// the harness kills it, so the trigger never hears that run end and never commits its records.
				business.hold();
				await waitFor('a run waiting in its business step', () => business.heldCalls() > 0);
				const addedBeforeRestart = streamed.length;
				try {
					await cluster.main.restart();
				} finally {
					business.release();
				}
				const addedByRestartEnd = streamed.length;
				await waitFor(
					'more records after the restart',
					() => streamed.length >= addedByRestartEnd + 6,
				);
				// The scenario happened: records were added while main was down or starting.
				expect(addedByRestartEnd).toBeGreaterThan(addedBeforeRestart);
			} finally {
				clearInterval(stream);
			}
			await waitFor(
				`all ${streamed.length} streamed records through the business step`,
				() => streamed.every((id) => delivered().has(id)),
				TIMEOUT_MS,
			);
			// Every run that started has ended: a late repeat would have called the business step by now.
			const all = await countExecutions(cluster.main, created.id);
			const byStatus = await waitForFinishedExecutions(cluster.main, created.id, all, TIMEOUT_MS);
			const runs = await Promise.all(
				(await cluster.main.listExecutions(created.id))
					.filter((execution) => Number(execution.id) > lastBefore)
					.map((execution) => cluster.main.getExecution(execution.id)),
			);
			// Polled again after the restart (at least once), stopped by the Claim: Duplicate once the
			// run in flight had completed them, In Progress while it still held them.
			const polledAgain = runs.flatMap((run) => [
				...outputItems(run, 'Claim Order', 1),
				...outputItems(run, 'Claim Order', 2),
			]);
			console.log(
				`main restarted mid-stream: ${streamed.length} records, ${runs.length} executions, by status ${JSON.stringify(byStatus)} (whole workflow), ${polledAgain.length} records polled again`,
			);

			const counts = delivered();
			expect(streamed.filter((id) => counts.get(id) !== 1)).toEqual([]);
			expect(polledAgain.length).toBeGreaterThan(0);
			// The one failed run is the first test's.
			expect(byStatus.error ?? 0).toBe(1);
		});
	});

	describe('Reconcile on a worker against the PostgreSQL store', () => {
		const namespace = 'queue-shop-orders';
		const eventIds = Array.from({ length: 24 }, (_, i) => `shop-${String(i).padStart(3, '0')}`);
		/** Never delivered: a quarter of the events. */
		const dropped = eventIds.filter((_, i) => i % 4 === 1);
		let shop: MockChangesApi;

		beforeAll(async () => {
			shop = await startMockChangesApi({ records: eventIds.map((id) => ({ id, total: 10 })) });
		});

		afterAll(async () => {
			await shop?.close();
		});

		it('recovers exactly the webhooks that were dropped, each once, in a sweep that runs on a worker', async () => {
			const store = await createStoreCredential(cluster, 'postgres', '');
			const signingSecret = await cluster.main.createCredential({
				name: 'Standard Webhooks secret',
				type: 'webhookSigningSecretApi',
				data: { secret: SECRET, previousSecrets: '' },
			});
			const path = 'queue-shop-orders';
			const intake = await cluster.main.createWorkflow(
				signedWebhookIntakeWorkflow({
					path,
					signingSecret,
					businessUrl: `${business.url}/shop`,
					namespace,
					store,
				}),
				{ SIGNING_SECRET: signingSecret, STORE: store },
			);
			await cluster.main.activateWorkflow(intake);
			const delivered = eventIds.filter((id) => !dropped.includes(id));
			const sender = new WebhookSender(cluster.webhookUrls(path), SECRET);

			// Each delivered event twice, over both webhook processors: the window dedup takes one.
			const answers = await sender.sendAll(
				shuffled(
					delivered.flatMap((eventId) => [0, 1].map(() => ({ eventId, body: eventBody(eventId) }))),
					7,
				),
				4,
			);
			expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
			expect(
				answers
					.filter((answer) => !answer.body.duplicate)
					.map((answer) => answer.eventId)
					.sort(),
			).toEqual(delivered);
			await waitFor(
				'the business step of every delivered event',
				() => delivered.every((id) => successesById(businessCalls('/shop')).has(id)),
				TIMEOUT_MS,
			);
			await waitForFinishedExecutions(cluster.main, intake.id, delivered.length, TIMEOUT_MS);

			const sweep = await cluster.main.createWorkflow(
				reconcileSweepWorkflow({
					everySeconds: 10,
					sourceUrl: `${shop.url}/changes/none`,
					businessUrl: `${business.url}/shop`,
					namespace,
					store,
				}),
				{ STORE: store },
			);
			await cluster.main.activateWorkflow(sweep);
			// Two sweeps: the first recovers, the second finds nothing left to recover.
			await waitForFinishedExecutions(cluster.main, sweep.id, 2, TIMEOUT_MS);
			await cluster.main.rest('POST', `/workflows/${sweep.id}/deactivate`, {});
			const sweeps = (await cluster.main.listExecutions(sweep.id))
				.filter((execution) => isTerminalExecutionStatus(execution.status))
				.sort((a, b) => Number(a.id) - Number(b.id));

			const [first, second] = await Promise.all(
				sweeps.slice(0, 2).map((execution) => cluster.main.getExecution(execution.id)),
			);
			const output = (run: ExecutionDetail, name: OutputName) =>
				outputItems(
					run,
					'Compare With Handled',
					configuredOutputs({ mode: 'againstStore' }).findIndex((o) => o.displayName === name),
				);
			expect([first.status, second.status]).toEqual(['success', 'success']);
			expect(idsOf(output(first, 'Missing'))).toEqual(dropped);
			expect(output(first, 'Report')).toEqual([
				expect.objectContaining({ processed: 24, alreadyHandled: 18, recovered: 6, inProgress: 0 }),
			]);
			expect(
				outputItems(first, 'Mark Recovered').map(
					(item) => (item.idempotency as { status: string }).status,
				),
			).toEqual(dropped.map(() => 'completed'));
			expect(output(second, 'Missing')).toEqual([]);
			// Handled, or In Progress if the first sweep was still completing them.
			expect(output(second, 'Report')).toEqual([
				expect.objectContaining({ processed: 24, recovered: 0 }),
			]);
			const calls = businessCalls('/shop');
			expect(Object.fromEntries(successesById(calls))).toEqual(
				Object.fromEntries(eventIds.map((id) => [id, 1])),
			);
			expect(
				calls
					.filter((call) => call.via === 'sweep')
					.map((call) => call.eventId)
					.sort(),
			).toEqual(dropped);
			// Started by the Schedule Trigger on main (mode "trigger"), run on a worker.
			expect([first.mode, second.mode]).toEqual(['trigger', 'trigger']);
			await expectRanOnOneWorker([first.id, second.id]);
		});
	});
});
