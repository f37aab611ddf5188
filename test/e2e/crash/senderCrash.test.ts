import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { IDataObject, ITaskData } from 'n8n-workflow';

import { EmbeddedStore } from '../../../lib/store/EmbeddedStore';
import { BusinessEndpoint } from '../../support/businessEndpoint';
import {
	type DeliveryLog,
	paymentSucceeded,
	stripeEvent,
	type StripeEvent,
	StripeSenderSimulator,
} from '../../support/stripeSenderSimulator';
import { waitFor } from '../../support/waitFor';
import {
	type CreatedWorkflow,
	type ExecutionDetail,
	type ExecutionSummary,
	N8nInstance,
	type WorkflowDefinition,
} from '../harness';
import { waitForFinishedExecutions } from '../harness/executionCounts';
import { stripeDelivery } from '../stripeDelivery';
import {
	dedupWindowWorkflow,
	GUARD,
	inboxIntakeWorkflow,
	inboxNamespace,
	LEASE_MINUTES,
	MAX_ATTEMPTS,
	inboxOperationWorkflow,
	type InboxOperation,
	operationPath,
	recoverySweepWorkflow,
	type RespondWhen,
	SIGNING_SECRET_PLACEHOLDER,
} from './crashWorkflows';
import { storedKeys } from './storeFile';

/**
 * Issue 11's crash test: a sender that retries as Stripe does (compressed to seconds) sends 300
 * events, 10 at a time, to a Signed Webhook Trigger whose workflow calls a business step that a
 * local endpoint counts per event; n8n is killed with SIGKILL twice mid-stream and started again
 * on the same user folder, database and store. Three lanes share each kill, each with its own
 * sender, endpoint and workflows:
 * - "onReceived" and "whenFinished": trigger version 3 in inbox mode (keep and claim before the
 *   answer), answering at receipt or once the run finished; the business step fails the first one
 *   or two tries of 20 % of the events, one poison event always; a recovery sweep (Webhook Inbox
 *   Recover Stuck every 5 s) takes back what nobody holds and nobody finished. Each processing
 *   path puts the Re-run Guard (Idempotency Check Claim) before the business step, as the
 *   templates do: n8n re-runs executions a crash left enqueued, with their old items.
 * - "window": today's flow (trigger version 2, dedup window at receipt), never failing. It stays
 *   as the documented demonstration of the defect the inbox mode fixes: its losses are asserted,
 *   as the issue measured them.
 *
 * Each kill lands while runs are inside the business step: the endpoint holds every call from a
 * moment on, and n8n is killed once each lane has runs waiting there. Before the kill the test
 * also waits until every business call already answered with success has its Complete in the
 * store: a crash between a business step's success and the Complete after it makes the event run
 * again, which no receiver can tell apart from a lost run; only the business system's own
 * idempotency (an idempotency key per event) covers that window.
 */

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const EVENTS = 300;
const SENDERS_IN_FLIGHT = 10;
/** The kills: once every lane's sender has had this many events acknowledged. */
const KILL_AFTER_ACKNOWLEDGED = [100, 200];
/** Runs of each lane that must be inside the business step when n8n is killed. */
const RUNS_CUT_PER_KILL = 3;
const POISON_INDEX = 50;
const STREAM_TIMEOUT_MS = 8 * 60_000;
const SETTLE_TIMEOUT_MS = 4 * 60_000;
const INBOX_MODES: RespondWhen[] = ['onReceived', 'whenFinished'];

interface Lane {
	name: string;
	path: string;
	events: StripeEvent[];
	endpoint: BusinessEndpoint;
	sender: StripeSenderSimulator;
	intake: CreatedWorkflow;
	sweep?: CreatedWorkflow;
	redrive?: CreatedWorkflow;
	requeue?: CreatedWorkflow;
	poison?: string;
	sending?: Promise<DeliveryLog[]>;
	done: boolean;
}

const laneEvents = (lane: string, count = EVENTS, prefix = ''): StripeEvent[] =>
	Array.from({ length: count }, (_, index) => {
		const number = `${prefix}${String(index).padStart(3, '0')}`;
		return paymentSucceeded(`evt_${lane}_${number}`, `order-${lane}-${number}`, 1000 + index);
	});

/** 20 % of the events fail their first try (every tenth from 1) or first two (every tenth from 6). */
function failingTries(events: readonly StripeEvent[]): Map<string, number> {
	const failing = new Map<string, number>();
	events.forEach(({ id }, index) => {
		if (index % 10 === 1) failing.set(id, 1);
		if (index % 10 === 6) failing.set(id, 2);
	});
	return failing;
}

/** The events whose business step never succeeded. */
const lostEvents = (lane: Lane) =>
	lane.events.map((event) => event.id).filter((id) => lane.endpoint.successes(id) === 0);

const doubledEvents = (lane: Lane) =>
	[...lane.endpoint.successCounts()].filter(([, count]) => count > 1).map(([id]) => id);

/** How each attempt of a sender ended, counted: `200`, `409`, `500`, `timeout`, `connection`. */
function attemptOutcomes(sender: StripeSenderSimulator): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const log of sender.logs.values()) {
		for (const attempt of log.attempts) {
			const outcome = 'status' in attempt ? String(attempt.status) : attempt.failure;
			counts[outcome] = (counts[outcome] ?? 0) + 1;
		}
	}
	return counts;
}

/** The items a node put on one output, over all its runs in an execution. */
const outputItems = (execution: ExecutionDetail, nodeName: string, output: number): IDataObject[] =>
	(execution.data.resultData.runData[nodeName] ?? []).flatMap((run) =>
		(run.data?.main[output] ?? []).map((item) => item.json),
	);

/** The Re-run Guard's outputs that stop an item (the Claim's outputs: nodes/IdempotencyCheck/outputs.ts). */
const GUARD_STOPS = { duplicate: 1, inProgress: 2, deadLetter: 3 } as const;

/** Items the Re-run Guard stopped in the executions of `workflows`, per output. */
async function guardStops(n8n: N8nInstance, workflows: readonly CreatedWorkflow[]) {
	const counts = { duplicate: 0, inProgress: 0, deadLetter: 0 };
	for (const workflow of workflows) {
		for (const summary of await n8n.listExecutions(workflow.id)) {
			const execution = await n8n.getExecution(summary.id);
			for (const [name, output] of Object.entries(GUARD_STOPS)) {
				counts[name as keyof typeof counts] += outputItems(execution, GUARD, output).length;
			}
		}
	}
	return counts;
}

/** Every 64-digit hex string in a file: signatures (and the body hashes the inbox keys bodies by). */
const hexStrings = (file: string) =>
	new Set(
		readFileSync(file)
			.toString('latin1')
			.match(/[0-9a-f]{64}/g) ?? [],
	);

describe('a Stripe-like sender while n8n is killed twice mid-stream (SIGKILL, embedded store)', () => {
	const storeFolder = mkdtempSync(join(tmpdir(), 'hybrid-sync-crash-store-'));
	const storePath = join(storeFolder, 'store.sqlite');
	let n8n: N8nInstance;
	const lanes: Lane[] = [];
	const kills: Array<Record<string, number>> = [];
	const killTimes: string[] = [];
	const lane = (name: string) => lanes.find((candidate) => candidate.name === name)!;
	const inboxLanes = () => lanes.filter((candidate) => candidate.poison !== undefined);
	const keys = (of: Lane) => storedKeys(storePath, inboxNamespace(of.path));

	const createAndActivate = async (definition: WorkflowDefinition, credentialIds = {}) => {
		const created = await n8n.createWorkflow(definition, credentialIds);
		await n8n.activateWorkflow(created);
		return created;
	};

	const addLane = async (
		name: string,
		intake: (path: string, businessUrl: string) => WorkflowDefinition,
		options: { inbox: boolean },
	) => {
		const path = `crash-${name}`;
		const events = laneEvents(name);
		const poison = options.inbox ? events[POISON_INDEX].id : undefined;
		const failing = options.inbox ? failingTries(events) : new Map<string, number>();
		const endpoint = await BusinessEndpoint.start({
			failingTries: (id) => failing.get(id) ?? 0,
			poison: poison ? [poison] : [],
		});
		const credential = await n8n.createCredential({
			name: 'Stripe signing secret',
			type: 'webhookSigningSecretApi',
			data: { secret: SECRET, previousSecrets: '' },
		});
		lanes.push({
			name,
			path,
			events,
			endpoint,
			sender: new StripeSenderSimulator(n8n.webhookUrl(path), SECRET),
			intake: await createAndActivate(intake(path, endpoint.url), {
				[SIGNING_SECRET_PLACEHOLDER]: credential,
			}),
			sweep: options.inbox
				? await createAndActivate(recoverySweepWorkflow(path, endpoint.url))
				: undefined,
			redrive: options.inbox
				? await createAndActivate(inboxOperationWorkflow('redrive')(path, endpoint.url))
				: undefined,
			requeue: options.inbox
				? await createAndActivate(inboxOperationWorkflow('requeueDeadLetters')(path, endpoint.url))
				: undefined,
			poison,
			done: false,
		});
	};

	/** Every business success of the inbox lanes has its Complete in the store. */
	const everySuccessCompleted = () =>
		inboxLanes().every((of) => {
			const stored = keys(of);
			return [...of.endpoint.successCounts().keys()].every(
				(id) => stored.get(id)?.state === 'completed',
			);
		});

	/**
	 * Holds every lane's business calls, kills n8n once runs wait there (the first time with each
	 * inbox lane's poison event among them, held since its first call), starts n8n again.
	 */
	const killMidStream = async (afterAcknowledged: number) => {
		await waitFor(
			`${afterAcknowledged} acknowledged events in every lane`,
			() => lanes.every((of) => of.done || of.sender.acknowledged >= afterAcknowledged),
			STREAM_TIMEOUT_MS,
		);
		const hit = lanes.filter((of) => !of.done);
		for (const of of hit) of.endpoint.hold();
		const poisonHeld = (of: Lane) =>
			kills.length > 0 || !of.poison || of.endpoint.held.some((call) => call.eventId === of.poison);
		await waitFor(
			`${RUNS_CUT_PER_KILL} runs inside the business step of every lane still sending`,
			() =>
				hit.every((of) => of.endpoint.held.length >= RUNS_CUT_PER_KILL && poisonHeld(of)) &&
				everySuccessCompleted(),
			120_000,
		);
		const droppedBefore = new Map(hit.map((of) => [of, of.endpoint.dropped.length]));
		killTimes.push(new Date().toISOString());
		await n8n.kill();
		await waitFor('the killed runs to hang up', () =>
			hit.every((of) => of.endpoint.held.every((call) => call.gone)),
		);
		for (const of of hit) of.endpoint.resume();
		kills.push(
			Object.fromEntries(
				hit.map((of) => [of.name, of.endpoint.dropped.length - droppedBefore.get(of)!]),
			),
		);
		await n8n.restart();
	};

	/** Waits until no key of the lane is held or waiting for a retry: every event completed or dead-lettered. */
	const settled = async (of: Lane, eventIds: readonly string[]) => {
		const unsettled = () => {
			const stored = keys(of);
			return eventIds.filter(
				(id) => !['completed', 'deadLetter'].includes(stored.get(id)?.state ?? ''),
			);
		};
		try {
			await waitFor(
				`every event of lane ${of.name} completed or dead-lettered`,
				() => unsettled().length === 0,
				SETTLE_TIMEOUT_MS,
			);
		} catch (error) {
			for (const id of unsettled()) console.log(await describeEvent(of, id));
			throw error;
		}
		for (const workflow of [of.intake, of.sweep, of.redrive, of.requeue]) {
			if (workflow) await waitForFinishedExecutions(n8n, workflow.id, 0, SETTLE_TIMEOUT_MS);
		}
	};

	/** What an event went through, for a failure's message: its sender's attempts, its key, each successful run. */
	const describeEvent = async (of: Lane, eventId: string) => {
		const runs = await Promise.all(
			of.endpoint.successLog
				.filter((success) => success.eventId === eventId)
				.map(async ({ execution, at }) => {
					const detail = execution ? await n8n.getExecution(execution) : undefined;
					return {
						execution,
						at: new Date(at).toISOString(),
						workflow: detail?.workflowId,
						status: detail?.status,
						startedAt: detail?.startedAt,
						stoppedAt: detail?.stoppedAt,
						trigger:
							detail && outputItems(detail, 'Stripe Events', 0).map((item) => item.idempotency),
						redriven:
							detail && outputItems(detail, 'Redrive Window', 0).map((item) => item.idempotency),
						completed:
							detail && outputItems(detail, 'Mark Done', 0).map((item) => item.idempotency),
						lostClaim:
							detail && outputItems(detail, 'Mark Done', 1).map((item) => item.idempotency),
					};
				}),
		);
		return `${eventId}, ${of.endpoint.successes(eventId)} successes: ${JSON.stringify({
			attempts: of.sender.logs
				.get(eventId)
				?.attempts.map((attempt) =>
					'status' in attempt
						? `${new Date(attempt.at).toISOString()} ${attempt.status} ${attempt.body.slice(0, 200)}`
						: `${new Date(attempt.at).toISOString()} ${attempt.failure}`,
				),
			kills: killTimes,
			key: keys(of).get(eventId),
			runs,
		})}`;
	};

	beforeAll(async () => {
		n8n = await N8nInstance.start({
			env: {
				HYBRID_SYNC_STORE_PATH: storePath,
				// About 110 ms of CPU per delivery and per run go to building expression isolates
				// (bench/README.md); what survives a crash does not depend on the expression engine.
				N8N_EXPRESSION_ENGINE: 'legacy',
			},
		});
		await addLane('window', dedupWindowWorkflow, { inbox: false });
		for (const respondWhen of INBOX_MODES) {
			await addLane(respondWhen, inboxIntakeWorkflow(respondWhen), { inbox: true });
		}
		// Held from its first call until the first kill, so that a crash is among its attempts.
		for (const of of inboxLanes()) of.endpoint.hold((id) => id === of.poison);
	}, 5 * 60_000);

	afterAll(async () => {
		for (const of of lanes) of.sender.stop();
		await Promise.all(lanes.map(async (of) => await of.sending));
		await n8n?.stop();
		await Promise.all(lanes.map(async (of) => await of.endpoint.close()));
		rmSync(storeFolder, { recursive: true, force: true });
	});

	it(
		`delivers ${EVENTS} events per lane, 10 at a time, while n8n is killed twice and restarted`,
		async () => {
			for (const of of lanes) {
				of.sending = of.sender.sendAll(of.events, SENDERS_IN_FLIGHT).finally(() => {
					of.done = true;
				});
			}
			for (const threshold of KILL_AFTER_ACKNOWLEDGED) await killMidStream(threshold);
			const logs = (await Promise.all(lanes.map(async (of) => await of.sending!))).flat();

			console.log(`runs cut by each kill, per lane: ${JSON.stringify(kills)}`);
			expect(kills).toHaveLength(KILL_AFTER_ACKNOWLEDGED.length);
			expect(Object.keys(kills[0]).sort()).toEqual(lanes.map((of) => of.name).sort());
			expect(Object.values(kills[0]).every((cut) => cut >= RUNS_CUT_PER_KILL)).toBe(true);
			expect(logs.filter((log) => !log.acknowledged).map((log) => log.event.id)).toEqual([]);
		},
		STREAM_TIMEOUT_MS,
	);

	it("loses acknowledged events with today's dedup window (trigger version 2): the defect the inbox mode fixes", async () => {
		const window = lane('window');
		await waitForFinishedExecutions(n8n, window.intake.id, 1, 120_000);

		const lost = lostEvents(window);
		const cutRuns = window.endpoint.dropped;
		const answeredDuplicate = lost.filter((id) =>
			window.sender.logs.get(id)!.acknowledged!.body.includes('"duplicate":true'),
		);
		console.log(
			`dedup window: ${JSON.stringify({ lost: lost.length, runsCut: cutRuns.length, lostAfterDuplicateAnswer: answeredDuplicate.length, doubled: doubledEvents(window).length })}`,
		);
		// Every run cut inside the business step is an event lost for good: the sender had its 200.
		expect(lost.length).toBeGreaterThan(0);
		expect(lost).toEqual(expect.arrayContaining(cutRuns));
		expect(doubledEvents(window)).toEqual([]);
	});

	it.each(INBOX_MODES)(
		'inbox mode, respond %s: every other event succeeded exactly once; the poison event is Dead Letter after Max Attempts, its crash counted',
		async (name) => {
			const of = lane(name);
			await settled(
				of,
				of.events.map((event) => event.id),
			);

			const lost = lostEvents(of).filter((id) => id !== of.poison);
			const poison = keys(of).get(of.poison!);
			console.log(
				`inbox ${name}: ${JSON.stringify({
					events: of.events.length,
					runsCut: of.endpoint.dropped.length,
					lost: lost.length,
					doubled: doubledEvents(of).length,
					senderAttempts: attemptOutcomes(of.sender),
					poison,
					// Runs that reached the guard with a key another run finished or held: re-runs.
					guardStopped: await guardStops(n8n, [of.intake, of.sweep!]),
				})}`,
			);
			for (const id of doubledEvents(of)) console.log(await describeEvent(of, id));
			expect(lost).toEqual([]);
			expect(doubledEvents(of)).toEqual([]);
			expect(of.endpoint.successes(of.poison!)).toBe(0);
			expect(poison).toMatchObject({ state: 'deadLetter', attempts: MAX_ATTEMPTS });
			expect(poison!.crashes).toBeGreaterThanOrEqual(1);
			expect(poison!.releases + poison!.crashes).toBe(MAX_ATTEMPTS);
		},
		SETTLE_TIMEOUT_MS + 60_000,
	);

	/** The newest executions of a workflow, newest first. */
	const latestExecutions = async (workflow: CreatedWorkflow, limit: number) => {
		const filter = JSON.stringify({ workflowId: workflow.id });
		const page = await n8n.rest<{ results: ExecutionSummary[] }>(
			'GET',
			`/executions?${new URLSearchParams({ filter, limit: String(limit) })}`,
		);
		return page.results;
	};

	/** The newest finished execution of `workflow` in which `nodeName` put an item of `eventId` on `output`. */
	const findExecution = async (
		workflow: CreatedWorkflow,
		nodeName: string,
		output: number,
		eventId: string,
	): Promise<{ execution: ExecutionDetail; item: IDataObject } | undefined> => {
		for (const summary of await latestExecutions(workflow, 20)) {
			if (!['success', 'error'].includes(summary.status)) continue;
			const execution = await n8n.getExecution(summary.id);
			const item = outputItems(execution, nodeName, output).find(
				(json) => json.eventId === eventId || json.id === eventId,
			);
			if (item) return { execution, item };
		}
		return undefined;
	};

	const deliverAndProcess = async (of: Lane, event: StripeEvent) => {
		const log = await of.sender.deliver(event);
		expect(log.acknowledged).toBeDefined();
		await waitFor(
			`event ${event.id} processed`,
			() => keys(of).get(event.id)?.state === 'completed',
		);
	};

	it(
		'refuses the Complete of a run overtaken after its lease (Lost Claim), in both respond modes',
		async () => {
			await Promise.all(
				inboxLanes().map(async (of) => {
					const [event] = laneEvents(of.name, 1, 'overtaken-');
					of.endpoint.overtake(event.id);
					const delivering = of.sender.deliver(event);
					// The first run's call is held past its lease; a sender's retry or the sweep takes
					// the claim over, succeeds and completes; then the first call is answered too.
					await waitFor(
						`both runs of ${event.id} through the business step`,
						() => of.endpoint.successes(event.id) === 2,
						LEASE_MINUTES * 60_000 + 120_000,
					);
					let overtaken: Awaited<ReturnType<typeof findExecution>>;
					await waitFor('the overtaken run to end on Lost Claim', async () => {
						overtaken = await findExecution(of.intake, 'Mark Done', 1, event.id);
						return overtaken !== undefined;
					});
					expect((await delivering).acknowledged).toBeDefined();
					const stored = keys(of).get(event.id)!;
					const refused = overtaken!.item.idempotency as IDataObject;
					console.log(`overtaken run, ${of.name}: ${JSON.stringify({ refused, stored })}`);
					expect(refused).toMatchObject({ status: 'lostClaim' });
					expect(stored).toMatchObject({ state: 'completed', crashes: 1 });
					expect(refused.token).not.toBe(stored.token);
				}),
			);
		},
		LEASE_MINUTES * 60_000 + 4 * 60_000,
	);

	/** What the editor does with "Execute workflow" on a trigger holding an execution's data. */
	const rerun = async (workflow: CreatedWorkflow, original: ExecutionDetail) => {
		const { executionId } = await n8n.rest<{ executionId: string }>(
			'POST',
			`/workflows/${workflow.id}/run`,
			{
				triggerToStartFrom: {
					name: 'Stripe Events',
					data: original.data.resultData.runData['Stripe Events'][0] as ITaskData,
				},
			},
		);
		await waitFor('the re-run to finish', async () =>
			['success', 'error'].includes((await n8n.getExecution(executionId)).status),
		);
		return await n8n.getExecution(executionId);
	};

	it.each(INBOX_MODES)(
		'inbox mode, respond %s: a person re-running a successful execution does not do the business step again (the Re-run Guard sends it to Duplicate)',
		async (name) => {
			const of = lane(name);
			const [event] = laneEvents(of.name, 1, 'rerun-');
			await deliverAndProcess(of, event);
			const original = (await findExecution(of.intake, 'Stripe Events', 0, event.id))!.execution;
			expect(of.endpoint.successes(event.id)).toBe(1);

			const again = await rerun(of.intake, original);

			expect(again.status).toBe('success');
			expect(of.endpoint.successes(event.id)).toBe(1);
			expect(outputItems(again, GUARD, GUARD_STOPS.duplicate).map((item) => item.id)).toEqual([event.id]);
			expect(again.data.resultData.runData['Business Step']).toBeUndefined();
		},
	);

	/** Runs an operator's action through its workflow, answered once the run finished. */
	const operate = async (of: Lane, operation: InboxOperation, body: object) => {
		const response = await fetch(n8n.webhookUrl(operationPath(of.path, operation)), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		expect(response.status).toBe(200);
		const [run] = await latestExecutions(of[operation === 'redrive' ? 'redrive' : 'requeue']!, 1);
		return await n8n.getExecution(run.id);
	};

	it.each(INBOX_MODES)(
		'inbox mode, respond %s: after a bug is fixed, a redrive of its window (and a requeue of its dead letters) processes each affected event once',
		async (name) => {
			const of = lane(name);
			const affected = laneEvents(name, 10, 'bug-');
			const unaffected = laneEvents(name, 5, 'fine-');
			const everyId = [...affected, ...unaffected].map((event) => event.id);
			// With the sweep off, only the redrive (and a sender's own retries) bring the events back.
			await n8n.rest('POST', `/workflows/${of.sweep!.id}/deactivate`, {});
			const from = new Date().toISOString();
			of.endpoint.introduceBug((id) => affected.some((event) => event.id === id));
			const sending = of.sender.sendAll([...affected, ...unaffected], SENDERS_IN_FLIGHT);
			await waitFor(
				'every affected event to fail, every other to succeed',
				() =>
					affected.every((event) => of.endpoint.tries(event.id) >= 1) &&
					unaffected.every((event) => of.endpoint.successes(event.id) === 1),
			);
			if (name === 'onReceived') {
				await waitFor('the failed runs to release their events', () => {
					const stored = keys(of);
					return affected.every((event) => stored.get(event.id)?.state === 'released');
				});
			}

			of.endpoint.fix();
			const redrive = await operate(of, 'redrive', { from, to: new Date().toISOString() });
			// A sender answered 5xx retries on its own; one whose retries used up Max Attempts while
			// the bug lived got 200 with its event parked as Dead Letter: an operator requeues those.
			await sending;
			const stored = keys(of);
			const deadLetters = affected
				.map((event) => event.id)
				.filter((id) => stored.get(id)?.state === 'deadLetter');
			const requeue = deadLetters.length
				? await operate(of, 'requeueDeadLetters', { eventIds: deadLetters })
				: undefined;
			await n8n.activateWorkflow(of.sweep!);
			await settled(of, everyId);

			const notOnce = everyId.filter((id) => of.endpoint.successes(id) !== 1);
			for (const id of notOnce) console.log(await describeEvent(of, id));
			const redriven = outputItems(redrive, 'Redrive Window', 0);
			const skipped = outputItems(redrive, 'Redrive Window', 1);
			console.log(
				`after the fix, ${name}: ${JSON.stringify({
					redriven: redriven.length,
					skipped: skipped.map((item) => item.reason),
					requeued: requeue && outputItems(requeue, 'Requeue Dead Letters', 0).length,
				})}`,
			);
			expect(notOnce).toEqual([]);
			if (name === 'onReceived') {
				expect(redriven.map((item) => item.id).sort()).toEqual(affected.map((event) => event.id));
			}
			expect(
				skipped.filter((item) => item.reason === 'completed').map((item) => item.eventId),
			).toEqual(expect.arrayContaining(unaffected.map((event) => event.id)));
		},
		SETTLE_TIMEOUT_MS + 60_000,
	);

	it('keeps the exact raw bytes of a 1 MB delivery with unicode, in both respond modes', async () => {
		const text = 'Grüße aus Köln, 東京の注文, café, 🧾✅, e\u0301, שלום; ';
		const sent = await Promise.all(
			inboxLanes().map(async (of) => {
				const probe = stripeEvent(`evt_${of.name}_raw`, 'invoice.finalized', { description: '' });
				const repeats = Math.floor(
					(1_000_000 - Buffer.byteLength(probe.body)) / Buffer.byteLength(text),
				);
				const event = stripeEvent(`evt_${of.name}_raw`, 'invoice.finalized', {
					id: `in_${of.name}_raw`,
					object: 'invoice',
					description: text.repeat(repeats),
				});
				await deliverAndProcess(of, event);
				return { of, event };
			}),
		);

		const store = new EmbeddedStore({ path: storePath });
		try {
			for (const { of, event } of sent) {
				const [entry] = await store.inbox.get(inboxNamespace(of.path), [event.id]);
				const bytes = Buffer.from(event.body, 'utf8');
				expect(bytes.length).toBeGreaterThan(990_000);
				expect(entry?.rawBody?.equals(bytes)).toBe(true);
				expect(of.endpoint.successes(event.id)).toBe(1);
			}
		} finally {
			await store.close();
		}
	});

	it('stores no signing secret and no signature value, not even of a refused delivery', async () => {
		const forgedSecret = `whsec_${randomBytes(24).toString('base64')}`;
		const forgedSignatures: string[] = [];
		for (const of of inboxLanes()) {
			const [event] = laneEvents(of.name, 1, 'forged-');
			const forged = stripeDelivery(event.body, forgedSecret);
			forgedSignatures.push(/v1=([0-9a-f]+)/.exec(forged.headers['stripe-signature'])![1]);
			const response = await fetch(n8n.webhookUrl(of.path), forged);
			expect(response.status).toBeGreaterThanOrEqual(400);
			expect(response.status).toBeLessThan(500);
		}
		const store = new EmbeddedStore({ path: storePath });
		try {
			for (const of of inboxLanes()) {
				const rejected = await store.inbox.rejections(inboxNamespace(of.path), { limit: 10 });
				expect(rejected.length).toBeGreaterThan(0);
			}
		} finally {
			await store.close();
		}

		const files = [storePath, `${storePath}-wal`].filter((file) => existsSync(file));
		const signatures = [...lanes.flatMap((of) => of.sender.signatures), ...forgedSignatures];
		for (const file of files) {
			const bytes = readFileSync(file);
			for (const secret of [SECRET, forgedSecret]) {
				expect(bytes.includes(secret)).toBe(false);
				expect(bytes.includes(secret.slice('whsec_'.length))).toBe(false);
			}
			const stored = hexStrings(file);
			expect(signatures.filter((signature) => stored.has(signature))).toEqual([]);
		}
		expect(signatures.length).toBeGreaterThan(3 * EVENTS);
	});
});
