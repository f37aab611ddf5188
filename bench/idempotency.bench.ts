import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { Agent, setGlobalDispatcher } from 'undici';

import { N8nInstance } from '../test/e2e/harness';
import { openBackends } from './idempotency/backends';
import {
	type ComparisonPlan,
	type ContenderKey,
	type NodeRun,
	ITEMS_PER_RUN,
	compareNodes,
} from './idempotency/nodeComparison';
import {
	type ClaimPath,
	type PassResult,
	KEYS_PER_PASS,
	measureClaims,
} from './idempotency/storeClaims';
import { writeSuiteResult } from './support/results';
import { median, round } from './support/stats';

/**
 * Idempotency Check throughput, in two parts:
 *   1. claims per second through the store interface, for each backend (embedded SQLite file,
 *      Redis, PostgreSQL), one key per call and 1,000 keys per call, new keys and duplicates;
 *   2. n8n's own Remove Duplicates node against our Claim (embedded store) in one real n8n, on the
 *      same 10,000 items per run, each node timed by n8n itself.
 */

const STORE_RUNS = 5;
const BATCH_SIZES = [1, 1_000];
const NODE_PLAN: ComparisonPlan = { warmUpRuns: 1, runs: 5 };
const REDIS_GOAL_KEYS_PER_SECOND = 50_000;
const REDIS_GOAL_BATCH = 1_000;
/** Ours against Remove Duplicates, in items per second of the node. */
const NODE_GOAL_RATIO = 1;

const PATH_NAMES: Record<ClaimPath, string> = { new: 'new keys', duplicate: 'duplicates' };
const CONTENDER_NAMES: Record<ContenderKey, string> = {
	removeDuplicates: 'n8n Remove Duplicates',
	idempotencyCheck: 'Idempotency Check (embedded)',
};

// While a node works through 10,000 items n8n's event loop stands still for seconds; a keep-alive
// connection that sat idle meanwhile is then closed under the next poll (ECONNRESET). A fresh
// connection per request just waits in the listen queue.
setGlobalDispatcher(new Agent({ pipelining: 0 }));

const log = (line: string) => console.log(line);
const formatted = (value: number) => Math.round(value).toLocaleString('en-US');
type Row = Record<string, string | number>;

/** Run 0 warms up connections, prepared scripts and the JIT; it is not reported. */
async function measureStores(): Promise<PassResult[]> {
	const backends = await openBackends();
	try {
		const results: PassResult[] = [];
		for (let run = 0; run <= STORE_RUNS; run++) {
			// Each run starts with another backend, so a slow patch of the machine is shared out.
			const order = backends.all.map(
				(_, index) => backends.all[(index + run) % backends.all.length],
			);
			for (const backend of order) {
				for (const batchSize of BATCH_SIZES) {
					const passes = await measureClaims(backend, batchSize, `run${run}-batch${batchSize}`);
					for (const pass of passes) {
						log(
							`${run === 0 ? 'warm-up' : `run ${run}`} ${pass.backend}, batch ${batchSize}, ${PATH_NAMES[pass.path]}: ${formatted(pass.keysPerSecond)} keys/s`,
						);
					}
					if (run > 0) results.push(...passes);
				}
			}
		}
		return results;
	} finally {
		await backends.close();
	}
}

async function compareInN8n(): Promise<{ runs: NodeRun[]; n8nLog: string | undefined }> {
	const folder = mkdtempSync(join(os.tmpdir(), 'hybrid-sync-bench-n8n-'));
	log('Starting n8n (installs this package from dist/)...');
	const n8n = await N8nInstance.start({
		env: { HYBRID_SYNC_STORE_PATH: join(folder, 'store.sqlite') },
	});
	try {
		return { runs: await compareNodes(n8n, NODE_PLAN, log), n8nLog: n8n.logFile };
	} finally {
		await n8n.stop();
		rmSync(folder, { recursive: true, force: true });
	}
}

function storeRows(passes: PassResult[]): Row[] {
	const rows: Row[] = [];
	for (const backend of [...new Set(passes.map((pass) => pass.backend))]) {
		for (const batchSize of BATCH_SIZES) {
			for (const path of ['new', 'duplicate'] as const) {
				const mine = passes.filter(
					(pass) => pass.backend === backend && pass.batchSize === batchSize && pass.path === path,
				);
				const keysPerSecond = median(mine.map((pass) => pass.keysPerSecond));
				const server = mine.flatMap((pass) => pass.serverMicrosPerKey ?? []);
				const goal =
					backend === 'redis' && batchSize === REDIS_GOAL_BATCH
						? REDIS_GOAL_KEYS_PER_SECOND
						: undefined;
				rows.push({
					measured: `store ${backend}, batch ${batchSize.toLocaleString('en-US')}, ${PATH_NAMES[path]}`,
					'per second': Math.round(keysPerSecond),
					'ms per 10,000': round(median(mine.map((pass) => pass.wallSeconds * 1000)), 1),
					'client CPU µs/key': round(median(mine.map((pass) => pass.clientCpuMicrosPerKey)), 2),
					'server µs/key': server.length ? round(median(server), 2) : '',
					goal:
						goal === undefined
							? ''
							: `${keysPerSecond > goal ? 'ok' : 'below'} (> ${formatted(goal)})`,
				});
			}
		}
	}
	return rows;
}

function nodeRows(runs: NodeRun[]): Row[] {
	const rows: Row[] = [];
	for (const path of ['new', 'duplicate'] as const) {
		const ofPath = runs.filter((run) => run.path === path);
		const of = (contender: ContenderKey) => ofPath.filter((run) => run.contender === contender);
		for (const contender of ['removeDuplicates', 'idempotencyCheck'] as const) {
			rows.push({
				measured: `n8n node ${CONTENDER_NAMES[contender]}, ${PATH_NAMES[path]}`,
				'per second': Math.round(median(of(contender).map((run) => run.itemsPerSecond))),
				'ms per 10,000': median(of(contender).map((run) => run.nodeMs)),
				goal: '',
			});
		}
		// Each run's two nodes ran back to back: their ratio cancels the machine's drift between runs.
		const theirs = new Map(of('removeDuplicates').map((run) => [run.run, run.itemsPerSecond]));
		const ratio = median(
			of('idempotencyCheck').map((run) => run.itemsPerSecond / theirs.get(run.run)!),
		);
		rows.push({
			measured: `n8n node ours / Remove Duplicates, ${PATH_NAMES[path]} (ratio)`,
			'per second': round(ratio, 2),
			goal: `${ratio >= NODE_GOAL_RATIO ? 'ok' : 'below'} (>= ${NODE_GOAL_RATIO})`,
		});
	}
	return rows;
}

async function main(): Promise<void> {
	const loadAtStart = os.loadavg()[0];
	const passes = await measureStores();
	const loadAfterStores = os.loadavg()[0];
	const { runs, n8nLog } = await compareInN8n();
	writeSuiteResult({
		suite: 'idempotency',
		table: [...storeRows(passes), ...nodeRows(runs)],
		details: {
			keysPerPass: KEYS_PER_PASS,
			storeRuns: STORE_RUNS,
			batchSizes: BATCH_SIZES,
			itemsPerNodeRun: ITEMS_PER_RUN,
			nodePlan: NODE_PLAN,
			loadAverage1m: { start: loadAtStart, afterStores: loadAfterStores, end: os.loadavg()[0] },
			// Both nodes spend most of their time evaluating the key expression: the engine decides the scale.
			n8nExpressionEngine: process.env.N8N_EXPRESSION_ENGINE ?? 'vm (default)',
			n8nLog,
			storePasses: passes,
			nodeRuns: runs,
		},
	});
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
