import os from 'node:os';

import { N8nInstance } from '../test/e2e/harness';
import { QueueCluster } from '../test/e2e/harness/queueCluster';
import {
	startService,
	type PostgresConnection,
	type RedisConnection,
} from '../test/lib/store/services';
import { importScript } from '../test/support/importScript';
import { startRecordingEndpoint } from '../test/support/recordingEndpoint';
import type { PreparedRequest } from './support/load';
import { findProcess, processTreesCpuSeconds } from './support/processCpu';
import { writeSuiteResult } from './support/results';
import { median, round } from './support/stats';
import {
	PostgresMeter,
	RedisMeter,
	callsBetween,
	type RedisCounters,
} from './queueMode/serverStats';
import {
	BusinessCalls,
	publishWorkflows,
	sendBalanced,
	signedDelivery,
	webhookNodeDelivery,
	type BenchWorkflow,
} from './queueMode/workload';

/**
 * The same workflows (bench/queueMode/workload.ts) in two setups, one after the other in one run:
 *   - a single n8n process (regular mode), the baseline;
 *   - n8n's queue mode as `npm run start:queue` runs it (test/e2e/harness/queueCluster.ts): one
 *     main, two webhook processors, two workers, then one worker.
 * Both use PostgreSQL as n8n's database and a Redis of their own as the trigger's store, so the
 * difference is queue mode itself. Every n8n process runs the legacy expression engine, as the
 * queue-mode end-to-end tests do: n8n 2.41's default engine builds an isolate per execution and
 * per webhook call, some 110 ms of CPU each (bench/README.md), which would swamp what is measured.
 *
 * Each round measures, from /proc, the CPU seconds of every n8n process (with its task runner) and
 * of PostgreSQL (with its backends), and from INFO the commands and CPU of each Redis; MONITOR on
 * the store's Redis counts the round trips. A round of new events ends when every execution has
 * finished, so its figures include the executions.
 */

const ROUNDS = 3;
const NEW_EVENTS_PER_ROUND = 150;
const REPEATS_PER_ROUND = 300;
const WARM_UP_DELIVERIES = 30;
const IDLE_SECONDS = 10;
const CONCURRENCY = 16;
const LEGACY_ENGINE = { N8N_EXPRESSION_ENGINE: 'legacy' };
const SEEN_EVENT = 'evt_bench_seen_before';

type Kind = 'single' | 'main' | 'webhook' | 'worker';
const KINDS: Kind[] = ['single', 'main', 'webhook', 'worker'];

/** New events and repeats to the Signed Webhook Trigger; new events to n8n's Webhook node. */
type Workload = 'new events' | 'repeats' | 'n8n Webhook node';

interface NamedProcess {
	name: string;
	kind: Kind;
	pid: number;
}

interface Setup {
	label: string;
	main: N8nInstance;
	/** The live n8n processes of the setup, asked anew at each reading. */
	processes(): NamedProcess[];
	postgresPid: number;
	postgres: PostgresMeter;
	storeRedis: RedisMeter;
	queueRedis?: RedisMeter;
	workflows: Record<'signed' | 'webhookNode', BenchWorkflow>;
	business: BusinessCalls;
	/** Executions so far per workflow id, to know when a round's have all finished. */
	executions: Map<string, number>;
}

interface Scenario {
	key: string;
	workload: Workload;
	origins: string[];
}

interface Reading {
	cpuByProcess: Map<string, { kind: Kind; seconds: number }>;
	postgresCpu: number;
	postgresTransactions: number;
	store: RedisCounters;
	queue?: RedisCounters;
}

/** What happened between two readings, per delivery (or, for idle time, per second). */
interface Costs {
	cpuMs: Record<Kind | 'n8n', number>;
	cpuMsByProcess: Record<string, number>;
	postgresCpuMs: number;
	postgresTransactions: number;
	storeRedisCpuMs: number;
	storeCommands: number;
	storeRoundTrips: number;
	storeRoundTripsByCommand: Record<string, number>;
	queueRedisCpuMs?: number;
	queueCommands?: number;
}

interface RoundResult extends Costs {
	setup: string;
	workload: Workload;
	webhookProcessors: number;
	round: number;
	deliveries: number;
	deliveriesPerSecond: number;
	/** New events: executions ÷ seconds from the first delivery to the last business call. */
	executionsPerSecond?: number;
	p50Ms: number;
	p99Ms: number;
	errors: number;
	errorSamples: string[];
	loadAverage: number;
}

async function read(setup: Setup): Promise<Reading> {
	const processes = setup.processes();
	const cpu = processTreesCpuSeconds([...processes.map(({ pid }) => pid), setup.postgresPid]);
	return {
		cpuByProcess: new Map(
			processes.map(({ name, kind }, index) => [name, { kind, seconds: cpu[index] }]),
		),
		postgresCpu: cpu[processes.length],
		postgresTransactions: await setup.postgres.transactions(),
		store: await setup.storeRedis.read(),
		queue: await setup.queueRedis?.read(),
	};
}

/** The costs between two readings, divided by `count`. */
function costsBetween(before: Reading, after: Reading, count: number): Costs {
	const per = (value: number) => value / count;
	const cpuMs = Object.fromEntries([...KINDS, 'n8n'].map((kind) => [kind, 0])) as Costs['cpuMs'];
	const cpuMsByProcess: Record<string, number> = {};
	for (const [name, { kind, seconds }] of after.cpuByProcess) {
		const used = per((seconds - (before.cpuByProcess.get(name)?.seconds ?? 0)) * 1000);
		cpuMsByProcess[name] = used;
		cpuMs[kind] += used;
		cpuMs.n8n += used;
	}
	const roundTrips = callsBetween(before.store.roundTrips!, after.store.roundTrips!);
	return {
		cpuMs,
		cpuMsByProcess,
		postgresCpuMs: per((after.postgresCpu - before.postgresCpu) * 1000),
		postgresTransactions: per(after.postgresTransactions - before.postgresTransactions),
		storeRedisCpuMs: per((after.store.cpuSeconds - before.store.cpuSeconds) * 1000),
		storeCommands: per(callsBetween(before.store.calls, after.store.calls).total),
		storeRoundTrips: per(roundTrips.total),
		storeRoundTripsByCommand: roundTrips.byCommand,
		...(before.queue &&
			after.queue && {
				queueRedisCpuMs: per((after.queue.cpuSeconds - before.queue.cpuSeconds) * 1000),
				queueCommands: per(callsBetween(before.queue.calls, after.queue.calls).total),
			}),
	};
}

const SINGLE = 'single process';

/** A scenario as the table names it: in queue mode, with its number of webhook processors. */
const scenarioName = (setupLabel: string, workload: Workload, webhookProcessors: number) =>
	setupLabel === SINGLE
		? workload
		: `${workload}, ${webhookProcessors} webhook processor${webhookProcessors > 1 ? 's' : ''}`;

function requestsFor(setup: Setup, scenario: Scenario, batch: string, count: number) {
	const ids = Array.from(
		{ length: count },
		(_, index) => `evt_${scenario.key}_${batch}_${String(index).padStart(5, '0')}`,
	);
	const { signed, webhookNode } = setup.workflows;
	switch (scenario.workload) {
		case 'new events':
			return {
				workflow: signed,
				ids,
				requests: ids.map((id) => signedDelivery(signed.path, id, false)),
			};
		case 'repeats':
			return {
				workflow: undefined,
				ids: [],
				requests: ids.map(() => signedDelivery(signed.path, SEEN_EVENT, true)),
			};
		case 'n8n Webhook node':
			return {
				workflow: webhookNode,
				ids,
				requests: ids.map((id) => webhookNodeDelivery(webhookNode.path, id)),
			};
	}
}

/** Sends the deliveries, waits until their executions have all finished, and says what it took. */
async function runUntilSettled(
	setup: Setup,
	workflow: BenchWorkflow | undefined,
	ids: string[],
	requests: PreparedRequest[],
	origins: string[],
) {
	const before = await read(setup);
	const startedAt = Date.now();
	const load = await sendBalanced(origins, requests, CONCURRENCY);
	let executionsPerSecond: number | undefined;
	if (workflow) {
		const expected = (setup.executions.get(workflow.workflowId) ?? 0) + ids.length - load.errors;
		setup.executions.set(workflow.workflowId, expected);
		await setup.business.settle(setup.main, workflow, ids, expected);
		executionsPerSecond = ids.length / ((setup.business.lastCallAt - startedAt) / 1000);
	}
	return {
		load,
		executionsPerSecond,
		costs: costsBetween(before, await read(setup), requests.length),
	};
}

/** Warm-up of every scenario, CPU while idle, then ROUNDS rounds, each starting with another scenario. */
async function runRounds(
	setup: Setup,
	scenarios: Scenario[],
	tag: string,
): Promise<{ rounds: RoundResult[]; idle: Costs }> {
	for (const scenario of scenarios) {
		const { ids, workflow, requests } = requestsFor(setup, scenario, `${tag}w`, WARM_UP_DELIVERIES);
		const { load } = await runUntilSettled(setup, workflow, ids, requests, scenario.origins);
		console.log(
			`${setup.label}, warm-up ${scenarioName(setup.label, scenario.workload, scenario.origins.length)}: ${load.errors} errors`,
		);
	}
	const idleFrom = await read(setup);
	await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
	const idle = costsBetween(idleFrom, await read(setup), IDLE_SECONDS);
	console.log(`${setup.label}, idle: n8n ${idle.cpuMs.n8n.toFixed(1)} CPU ms per second`);

	const rounds: RoundResult[] = [];
	for (let index = 0; index < ROUNDS; index++) {
		const order = scenarios.map((_, i) => scenarios[(i + index) % scenarios.length]);
		for (const scenario of order) {
			const count = scenario.workload === 'repeats' ? REPEATS_PER_ROUND : NEW_EVENTS_PER_ROUND;
			const { ids, workflow, requests } = requestsFor(setup, scenario, `${tag}${index}`, count);
			const { load, executionsPerSecond, costs } = await runUntilSettled(
				setup,
				workflow,
				ids,
				requests,
				scenario.origins,
			);
			const result: RoundResult = {
				setup: setup.label,
				workload: scenario.workload,
				webhookProcessors: scenario.origins.length,
				round: index + 1,
				deliveries: count,
				deliveriesPerSecond: load.requestsPerSecond,
				executionsPerSecond,
				p50Ms: load.p50Ms,
				p99Ms: load.p99Ms,
				...costs,
				errors: load.errors,
				errorSamples: load.errorSamples,
				loadAverage: os.loadavg()[0],
			};
			rounds.push(result);
			const cpu = Object.entries(costs.cpuMsByProcess)
				.map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
				.join(', ');
			console.log(
				`${setup.label}, round ${index + 1}, ${scenarioName(setup.label, scenario.workload, scenario.origins.length)}: ${load.requestsPerSecond.toFixed(1)} deliveries/s${
					executionsPerSecond ? `, ${executionsPerSecond.toFixed(1)} executions/s` : ''
				}; CPU ms/delivery ${cpu}; store ${costs.storeRoundTrips.toFixed(2)} round trips/delivery; ${load.errors} errors; load ${result.loadAverage.toFixed(1)}`,
			);
			for (const sample of load.errorSamples) console.log(`  error: ${sample}`);
		}
	}
	return { rounds, idle };
}

/** The repeats need their event seen once: that first delivery runs one execution. */
async function seedSeenEvent(setup: Setup, origin: string): Promise<void> {
	const { signed } = setup.workflows;
	const seed = signedDelivery(signed.path, SEEN_EVENT, false);
	const response = await fetch(`${origin}${seed.path}`, {
		method: 'POST',
		headers: seed.headers,
		body: seed.body,
	});
	const problem = seed.check(response.status, await response.text());
	if (problem) throw new Error(`Seeding the repeated event failed: ${problem}`);
	setup.executions.set(signed.workflowId, 1);
	await setup.business.settle(setup.main, signed, [SEEN_EVENT], 1);
}

function postgresServerPid({ port }: PostgresConnection): number {
	const pid = findProcess(
		(args) => args[0].endsWith('/postgres') && args.includes('-p') && args.includes(String(port)),
	);
	if (pid === undefined) throw new Error(`No PostgreSQL server process on port ${port}`);
	return pid;
}

/** n8n's database settings as scripts/queue-topology.mjs gives them to every queue-mode process. */
async function databaseEnv(database: PostgresConnection): Promise<Record<string, string>> {
	const { sharedQueueEnv } = await importScript<{
		sharedQueueEnv(options: {
			database: PostgresConnection;
			queueRedis: Partial<RedisConnection>;
			encryptionKey: string;
			webhookUrl: string;
		}): Record<string, string>;
	}>('queue-topology.mjs');
	const shared = sharedQueueEnv({ database, queueRedis: {}, encryptionKey: '', webhookUrl: '' });
	return Object.fromEntries(Object.entries(shared).filter(([name]) => name.startsWith('DB_')));
}

const origin = (url: string) => new URL(url).origin;

interface Servers {
	database: PostgresConnection;
	storeRedis: RedisConnection;
	queueRedis?: RedisConnection;
}

/** Publishes the workflows on `main`, opens the meters on the servers, and runs `work`. */
async function prepared<T>(
	setup: Pick<Setup, 'label' | 'main' | 'processes' | 'business'>,
	servers: Servers,
	businessUrl: string,
	work: (setup: Setup) => Promise<T>,
): Promise<T> {
	const workflows = await publishWorkflows(setup.main, servers.storeRedis, businessUrl);
	const postgres = new PostgresMeter(servers.database);
	const storeRedis = new RedisMeter(servers.storeRedis);
	const queueRedis = servers.queueRedis && new RedisMeter(servers.queueRedis);
	try {
		await postgres.open();
		await storeRedis.watchClients();
		return await work({
			...setup,
			postgresPid: postgresServerPid(servers.database),
			postgres,
			storeRedis,
			queueRedis,
			workflows,
			executions: new Map(),
		});
	} finally {
		await Promise.all([postgres.close(), storeRedis.close(), queueRedis?.close()]);
	}
}

type Measured = { rounds: RoundResult[]; idle: Record<string, Costs> };

async function singleProcess(business: BusinessCalls, businessUrl: string): Promise<Measured> {
	const [database, storeRedis] = await Promise.all([
		startService('postgres'),
		startService('redis'),
	]);
	let n8n: N8nInstance | undefined;
	try {
		console.log('Starting single-process n8n (PostgreSQL, legacy expression engine)...');
		n8n = await N8nInstance.start({
			env: { ...LEGACY_ENGINE, ...(await databaseEnv(database.connection)) },
		});
		const main = n8n;
		const servers = { database: database.connection, storeRedis: storeRedis.connection };
		const setup = {
			label: SINGLE,
			main,
			processes: () => [{ name: 'n8n', kind: 'single' as const, pid: main.pid! }],
			business,
		};
		return await prepared(setup, servers, businessUrl, async (ready) => {
			const origins = [origin(main.baseUrl)];
			await seedSeenEvent(ready, origins[0]);
			const { rounds, idle } = await runRounds(
				ready,
				[
					{ key: 'sn', workload: 'new events', origins },
					{ key: 'sr', workload: 'repeats', origins },
					{ key: 'sw', workload: 'n8n Webhook node', origins },
				],
				's',
			);
			return { rounds, idle: { [SINGLE]: idle } };
		});
	} finally {
		await n8n?.stop();
		await Promise.all([database.stop(), storeRedis.stop()]);
	}
}

async function queueMode(business: BusinessCalls, businessUrl: string): Promise<Measured> {
	console.log(
		'Starting queue mode: main, 2 webhook processors, 2 workers (legacy expression engine)...',
	);
	const cluster = await QueueCluster.start({ extraEnv: LEGACY_ENGINE });
	try {
		const running = [...cluster.webhookProcessors, ...cluster.workers];
		const setup = {
			label: 'queue mode',
			main: cluster.main,
			processes: () => [
				{ name: 'main', kind: 'main' as const, pid: cluster.main.pid! },
				...running
					.filter((p) => p.process.exitCode === null && p.process.signalCode === null)
					.map((p) => ({ name: p.name, kind: p.kind, pid: p.process.pid! })),
			],
			business,
		};
		return await prepared(setup, cluster, businessUrl, async (ready) => {
			const [first, second] = cluster.webhookProcessors.map((p) => origin(p.baseUrl));
			await seedSeenEvent(ready, first);
			const twoWorkers = await runRounds(
				ready,
				[
					{ key: 'qn1', workload: 'new events', origins: [first] },
					{ key: 'qn2', workload: 'new events', origins: [first, second] },
					{ key: 'qr1', workload: 'repeats', origins: [first] },
					{ key: 'qr2', workload: 'repeats', origins: [first, second] },
					{ key: 'qw2', workload: 'n8n Webhook node', origins: [first, second] },
				],
				'q',
			);
			console.log('Stopping worker-2...');
			await cluster.workers[1].stop();
			const oneWorker = await runRounds(
				{ ...ready, label: 'queue mode, 1 worker' },
				[{ key: 'q1n2', workload: 'new events', origins: [first, second] }],
				'q1',
			);
			return {
				rounds: [...twoWorkers.rounds, ...oneWorker.rounds],
				idle: { 'queue mode': twoWorkers.idle, 'queue mode, 1 worker': oneWorker.idle },
			};
		});
	} finally {
		await cluster.stop();
	}
}

const shown = (value: number | undefined) => (value === undefined ? '' : round(value, 2));

/**
 * One row per setup and scenario, the medians of its rounds (CPU in ms per delivery, commands and
 * round trips per delivery), then one row per setup for idle time (the same figures per second).
 */
function summarise({ rounds, idle }: Measured): Array<Record<string, string | number>> {
	const groups = new Map<string, RoundResult[]>();
	for (const result of rounds) {
		const key = `${result.setup}|${result.workload}|${result.webhookProcessors}`;
		groups.set(key, [...(groups.get(key) ?? []), result]);
	}
	const medianOf = (of: RoundResult[], pick: (result: RoundResult) => number | undefined) => {
		const values = of.flatMap((result) => pick(result) ?? []);
		return values.length > 0 ? median(values) : undefined;
	};
	const baseline = (workload: Workload) =>
		medianOf(groups.get(`${SINGLE}|${workload}|1`) ?? [], (result) => result.cpuMs.n8n);
	const costColumns = (
		setup: string,
		cost: (pick: (c: Costs) => number | undefined) => number | undefined,
	) => {
		const queued = setup !== SINGLE;
		return {
			'main ms': queued ? shown(cost((c) => c.cpuMs.main)) : '',
			'webhook ms': queued ? shown(cost((c) => c.cpuMs.webhook)) : '',
			'worker ms': queued ? shown(cost((c) => c.cpuMs.worker)) : '',
			'n8n ms': shown(cost((c) => c.cpuMs.n8n)),
			'PostgreSQL ms': shown(cost((c) => c.postgresCpuMs)),
			'store Redis ms': shown(cost((c) => c.storeRedisCpuMs)),
			'queue Redis ms': shown(cost((c) => c.queueRedisCpuMs)),
			'store round trips': shown(cost((c) => c.storeRoundTrips)),
			'store cmds': shown(cost((c) => c.storeCommands)),
			'queue cmds': shown(cost((c) => c.queueCommands)),
			'PG xacts': shown(cost((c) => c.postgresTransactions)),
		};
	};
	const rows: Array<Record<string, string | number>> = [...groups.values()].map((of) => {
		const { setup, workload, webhookProcessors } = of[0];
		const n8n = medianOf(of, (result) => result.cpuMs.n8n)!;
		const single = baseline(workload);
		return {
			setup,
			scenario: scenarioName(setup, workload, webhookProcessors),
			'deliveries/s': shown(medianOf(of, (result) => result.deliveriesPerSecond)),
			'executions/s': shown(medianOf(of, (result) => result.executionsPerSecond)),
			...costColumns(setup, (pick) => medianOf(of, pick)),
			'n8n vs single': single ? shown(n8n / single) : '',
			errors: of.reduce((sum, result) => sum + result.errors, 0),
		};
	});
	for (const [setup, costs] of Object.entries(idle))
		rows.push({
			setup,
			scenario: `idle, per second (${IDLE_SECONDS} s)`,
			...costColumns(setup, (pick) => pick(costs)),
		});
	return rows;
}

async function main(): Promise<void> {
	// One count per setup, each on its own path, so that an event id may recur across setups.
	const business = { single: new BusinessCalls(), queue: new BusinessCalls() };
	const endpoint = await startRecordingEndpoint((request) => {
		const setup = request.path === '/single' ? business.single : business.queue;
		setup.record((request.body as { eventId: string }).eventId);
		return { status: 200, body: { ok: true } };
	});
	const loadAtStart = os.loadavg()[0];
	let measured: Measured;
	try {
		const single = await singleProcess(business.single, `${endpoint.url}/single`);
		const queued = await queueMode(business.queue, `${endpoint.url}/queue`);
		measured = {
			rounds: [...single.rounds, ...queued.rounds],
			idle: { ...single.idle, ...queued.idle },
		};
	} finally {
		await endpoint.close();
	}
	writeSuiteResult({
		suite: 'queueMode',
		table: summarise(measured),
		details: {
			expressionEngine: 'legacy',
			rounds: ROUNDS,
			newEventsPerRound: NEW_EVENTS_PER_ROUND,
			repeatsPerRound: REPEATS_PER_ROUND,
			warmUpDeliveries: WARM_UP_DELIVERIES,
			concurrency: CONCURRENCY,
			loadAverage: { start: loadAtStart, end: os.loadavg()[0] },
			idle: measured.idle,
			measurements: measured.rounds,
		},
	});
	const errors = measured.rounds.reduce((sum, result) => sum + result.errors, 0);
	if (errors > 0)
		throw new Error(`${errors} delivery(ies) got an unexpected answer; see the error lines above`);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
