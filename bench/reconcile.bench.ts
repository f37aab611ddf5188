import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { Agent, setGlobalDispatcher } from 'undici';

import { N8nInstance } from '../test/e2e/harness';
import { openBackends } from './idempotency/backends';
import { type NodeRun, NodeBench, RunLimitError } from './reconcile/nodeComparison';
import { OUTPUT_NAMES, type OutputComparison } from './reconcile/outputs';
import {
	MISSING_EVERY,
	type SweepRun,
	buildWindow,
	forget,
	measureSweep,
	seed,
} from './reconcile/storeSweep';
import type { CompareContender } from './reconcile/workflows';
import { writeSuiteResult } from './support/results';
import { median, round } from './support/stats';

/**
 * Reconcile at scale, in two parts:
 *   1. `reconcileAgainstStore` alone over 100,000 and 1,000,000 source keys against each backend
 *      (embedded SQLite file, Redis, PostgreSQL) holding 99 % of them completed: the sweep finds
 *      the missing 1 % and claims it;
 *   2. in one real n8n: n8n's Compare Datasets 2.3 against Reconcile's Compare Inputs on the same
 *      two inputs (10,000 to 100,000 rows each), each node timed by n8n itself, n8n's peak memory,
 *      and the four outputs compared item by item; and Reconcile against the embedded store on a
 *      100,000-record window.
 */

const STORE_PLAN = [
	{ size: 100_000, warmUpRuns: 1, runs: 5 },
	{ size: 1_000_000, warmUpRuns: 0, runs: 3 },
];

/** Compare Datasets looks each row of A up in all of B: its time grows with the square of the size. */
const COMPARE_SIZES = [10_000, 20_000, 40_000];
const TARGET_SIZE = 100_000;
const WARM_UP_SIZE = 1_000;
const OUR_RUNS = 3;
const THEIR_RUNS: Record<number, number> = { 10_000: 3, 20_000: 3, 40_000: 1, [TARGET_SIZE]: 1 };
/** Compare Datasets runs at 100,000 rows when the quadratic extrapolation stays under this. */
const THEIR_PREDICTED_LIMIT_MS = 15 * 60_000;
/** A run still going after this is given up (and n8n stopped). */
const RUN_LIMIT_MS = 30 * 60_000;
const AGAINST_STORE_SIZE = 100_000;
const AGAINST_STORE_RUNS = 2;
/** Reconcile's Compare Inputs against Compare Datasets at 100,000 rows, in the node's time. */
const GOAL_SPEED_RATIO = 5;

const CONTENDER_NAMES: Record<NodeRun['contender'], string> = {
	compareDatasets: 'n8n Compare Datasets',
	reconcile: 'Reconcile, Compare Inputs',
	againstStore: 'Reconcile, Against Store (embedded)',
};

// While a node works through 100,000 rows n8n's event loop stands still, for minutes with Compare
// Datasets: no keep-alive connection to sit idle meanwhile (ECONNRESET), and no time limit on an
// answer (undici gives up after 300 s by default).
setGlobalDispatcher(new Agent({ pipelining: 0, headersTimeout: 0, bodyTimeout: 0 }));

const log = (line: string) => console.log(line);
const formatted = (value: number) => Math.round(value).toLocaleString('en-US');
type Row = Record<string, string | number>;

async function measureStores(): Promise<{ runs: SweepRun[]; seedKeysPerSecond: Row[] }> {
	const backends = await openBackends();
	const runs: SweepRun[] = [];
	const seedKeysPerSecond: Row[] = [];
	try {
		for (const { size, warmUpRuns, runs: count } of STORE_PLAN) {
			const window = buildWindow(size);
			for (const backend of backends.all) {
				const rate = await seed(backend, window);
				seedKeysPerSecond.push({ backend: backend.name, size, keysPerSecond: Math.round(rate) });
				log(
					`seeded ${backend.name} with ${formatted(size * 0.99)} keys (${formatted(rate)} keys/s)`,
				);
			}
			for (let turn = 0; turn < warmUpRuns + count; turn++) {
				const run = turn < warmUpRuns ? `warm-up ${turn + 1}` : `run ${turn - warmUpRuns + 1}`;
				// Each run starts with another backend, so a slow patch of the machine is shared out.
				const order = backends.all.map((_, n) => backends.all[(n + turn) % backends.all.length]);
				for (const backend of order) {
					const result = await measureSweep(backend, window, run);
					log(
						`${run} ${backend.name}, ${formatted(size)} keys: ${formatted(result.wallSeconds * 1000)} ms, ${formatted(result.keysPerSecond)} keys/s, peak RSS ${formatted(result.memory.peakRssMb)} MB (from ${formatted(result.memory.rssBeforeMb)}), peak heap ${formatted(result.memory.peakHeapMb)} MB`,
					);
					if (turn >= warmUpRuns) runs.push(result);
				}
			}
			// The embedded store keeps at most 1,000,000 entries by default: the next window needs the room.
			const keys = window.entries.map(({ key }) => key);
			for (const backend of backends.all) await forget(backend, keys);
		}
		return { runs, seedKeysPerSecond };
	} finally {
		await backends.close();
	}
}

function storeRows(runs: SweepRun[]): Row[] {
	const rows: Row[] = [];
	for (const { size } of STORE_PLAN) {
		for (const backend of [...new Set(runs.map((run) => run.backend))]) {
			const mine = runs.filter((run) => run.backend === backend && run.size === size);
			const server = mine.flatMap((run) => run.serverMicrosPerKey ?? []);
			const missing = size / MISSING_EVERY;
			rows.push({
				measured: `store ${backend}, against 99 % completed`,
				size,
				runs: mine.length,
				'median ms': round(median(mine.map((run) => run.wallSeconds * 1000)), 0),
				'per second': Math.round(median(mine.map((run) => run.keysPerSecond))),
				'CPU µs/key': round(median(mine.map((run) => run.clientCpuMicrosPerKey)), 2),
				'server µs/key': server.length ? round(median(server), 2) : '',
				'peak RSS MB': Math.round(median(mine.map((run) => run.memory.peakRssMb))),
				'RSS growth MB': Math.round(
					median(mine.map((run) => run.memory.peakRssMb - run.memory.rssBeforeMb)),
				),
				'peak heap MB': Math.round(median(mine.map((run) => run.memory.peakHeapMb))),
				check: `${formatted(missing)} missing and claimed, ${formatted(size - missing)} handled: ok`,
			});
		}
	}
	return rows;
}

interface NodePart {
	runs: NodeRun[];
	comparisons: Map<number, OutputComparison>;
	failures: string[];
	/** Compare Datasets at 100,000 rows from its largest measured size, as t · (100,000 / size)². */
	extrapolation?: { fromSize: number; fromMs: number; predictedMs: number; exponent?: number };
	theirTargetRun:
		| 'measured'
		| 'skipped (extrapolation over the limit)'
		| 'gave up (over the limit)';
	n8nLog: string | undefined;
}

function extrapolate(runs: NodeRun[]): NodePart['extrapolation'] {
	const theirs = (size: number) =>
		runs.filter((run) => run.contender === 'compareDatasets' && run.size === size);
	const measured = COMPARE_SIZES.filter((size) => theirs(size).length > 0);
	if (measured.length === 0) return undefined;
	const largest = measured[measured.length - 1];
	const fromMs = median(theirs(largest).map((run) => run.nodeMs));
	const smallest = measured[0];
	// The growth measured between the smallest and largest size: 2 is quadratic.
	const exponent =
		largest === smallest
			? undefined
			: Math.log(fromMs / median(theirs(smallest).map((run) => run.nodeMs))) /
				Math.log(largest / smallest);
	return {
		fromSize: largest,
		fromMs,
		predictedMs: fromMs * (TARGET_SIZE / largest) ** 2,
		exponent,
	};
}

async function compareInN8n(): Promise<NodePart> {
	const folder = mkdtempSync(join(os.tmpdir(), 'hybrid-sync-bench-reconcile-'));
	const storePath = join(folder, 'store.sqlite');
	log('Starting n8n (installs this package from dist/)...');
	const n8n = await N8nInstance.start({ env: { HYBRID_SYNC_STORE_PATH: storePath } });
	let theirTargetRun: NodePart['theirTargetRun'] = 'measured';
	let extrapolation: NodePart['extrapolation'];
	try {
		const bench = await NodeBench.deploy(n8n, storePath, log);
		const contenders: CompareContender[] = ['compareDatasets', 'reconcile'];
		for (const contender of contenders) {
			await bench.compare(contender, WARM_UP_SIZE, 'warm-up', {
				measured: false,
				limitMs: RUN_LIMIT_MS,
			});
		}
		for (let run = 1; run <= AGAINST_STORE_RUNS; run++) {
			await bench.againstStore(AGAINST_STORE_SIZE, `run ${run}`, RUN_LIMIT_MS);
		}
		for (const size of COMPARE_SIZES) {
			const runsOf = (contender: CompareContender) =>
				contender === 'reconcile' ? OUR_RUNS : THEIR_RUNS[size];
			for (let turn = 0; turn < Math.max(OUR_RUNS, THEIR_RUNS[size]); turn++) {
				// They take turns going first, so both meet the same moments of a busy machine.
				const order = turn % 2 === 0 ? contenders : [...contenders].reverse();
				for (const contender of order) {
					if (turn >= runsOf(contender)) continue;
					await bench.compare(contender, size, `run ${turn + 1}`, {
						measured: true,
						limitMs: RUN_LIMIT_MS,
					});
				}
			}
		}
		for (let run = 1; run <= OUR_RUNS; run++) {
			await bench.compare('reconcile', TARGET_SIZE, `run ${run}`, {
				measured: true,
				limitMs: RUN_LIMIT_MS,
			});
		}
		extrapolation = extrapolate(bench.runs);
		if (extrapolation) {
			log(
				`Compare Datasets at ${formatted(TARGET_SIZE)} rows, extrapolated from ${formatted(extrapolation.fromSize)}: ${formatted(extrapolation.predictedMs / 1000)} s`,
			);
		}
		// Last, because a run past the limit leaves n8n stuck in the node until it is stopped.
		if (extrapolation && extrapolation.predictedMs > THEIR_PREDICTED_LIMIT_MS) {
			theirTargetRun = 'skipped (extrapolation over the limit)';
		} else {
			try {
				for (let run = 1; run <= THEIR_RUNS[TARGET_SIZE]; run++) {
					await bench.compare('compareDatasets', TARGET_SIZE, `run ${run}`, {
						measured: true,
						limitMs: RUN_LIMIT_MS,
					});
				}
			} catch (error) {
				if (!(error instanceof RunLimitError)) throw error;
				log(error.message);
				theirTargetRun = 'gave up (over the limit)';
			}
		}
		return {
			runs: bench.runs,
			comparisons: bench.compareOutputs(),
			failures: bench.failures,
			extrapolation,
			theirTargetRun,
			n8nLog: n8n.logFile,
		};
	} finally {
		await n8n.stop();
		rmSync(folder, { recursive: true, force: true });
	}
}

function nodeRow(runs: NodeRun[], contender: NodeRun['contender'], size: number): Row | undefined {
	const mine = runs.filter((run) => run.contender === contender && run.size === size);
	if (mine.length === 0) return undefined;
	const comparison = mine[0].comparison;
	return {
		measured: `n8n node ${CONTENDER_NAMES[contender]}`,
		size,
		runs: mine.length,
		'median ms': median(mine.map((run) => run.nodeMs)),
		'per second': Math.round(median(mine.map((run) => run.rowsPerSecond))),
		'execution ms': median(mine.map((run) => run.executionMs)),
		'peak RSS MB': Math.round(median(mine.map((run) => run.n8nPeakRssMb))),
		'RSS growth MB': Math.round(median(mine.map((run) => run.n8nPeakRssMb - run.n8nRssBeforeMb))),
		'n8n+runner peak MB': Math.round(median(mine.map((run) => run.n8nAndRunnerPeakRssMb))),
		check:
			contender === 'reconcile'
				? comparison
					? `${comparison.identical ? 'outputs identical to Compare Datasets' : 'OUTPUTS DIFFER'} (${mine[0].counts.join(' / ')})`
					: 'Compare Datasets did not run at this size'
				: mine[0].counts.join(' / '),
	};
}

function ratioRow(size: number, ours: Row, theirs: Row, target: boolean): Row {
	const speed = Number(theirs['median ms']) / Number(ours['median ms']);
	return {
		measured: 'Compare Datasets / Reconcile (ratio)',
		size,
		'median ms': round(speed, 1),
		'per second': round(Number(ours['per second']) / Number(theirs['per second']), 1),
		'execution ms': round(Number(theirs['execution ms']) / Number(ours['execution ms']), 2),
		'peak RSS MB': round(Number(theirs['peak RSS MB']) / Number(ours['peak RSS MB']), 2),
		'RSS growth MB': round(Number(theirs['RSS growth MB']) / Number(ours['RSS growth MB']), 2),
		check: target
			? `goal: ${speed >= GOAL_SPEED_RATIO ? 'ok' : 'below'} (>= ${GOAL_SPEED_RATIO}x faster)`
			: '',
	};
}

function nodeRows(part: NodePart): Row[] {
	const rows: Row[] = [];
	const store = nodeRow(part.runs, 'againstStore', AGAINST_STORE_SIZE);
	if (store) rows.push({ ...store, check: `outputs ${store.check}` });
	for (const size of [...COMPARE_SIZES, TARGET_SIZE]) {
		const theirs = nodeRow(part.runs, 'compareDatasets', size);
		const ours = nodeRow(part.runs, 'reconcile', size);
		if (theirs) rows.push(theirs);
		if (ours) rows.push(ours);
		if (theirs && ours) rows.push(ratioRow(size, ours, theirs, size === TARGET_SIZE));
	}
	const { extrapolation } = part;
	const ours = nodeRow(part.runs, 'reconcile', TARGET_SIZE);
	if (extrapolation && ours) {
		rows.push({
			measured: `n8n node ${CONTENDER_NAMES.compareDatasets}, EXTRAPOLATED (n² from ${formatted(extrapolation.fromSize)})`,
			size: TARGET_SIZE,
			'median ms': Math.round(extrapolation.predictedMs),
			check: `growth exponent measured ${extrapolation.exponent === undefined ? '?' : round(extrapolation.exponent, 2)}; 100,000 run ${part.theirTargetRun}`,
		});
		rows.push({
			measured: 'Compare Datasets EXTRAPOLATED / Reconcile (ratio)',
			size: TARGET_SIZE,
			'median ms': round(extrapolation.predictedMs / Number(ours['median ms']), 1),
		});
	}
	return rows;
}

async function main(): Promise<void> {
	const loadAtStart = os.loadavg()[0];
	const stores = await measureStores();
	const loadAfterStores = os.loadavg()[0];
	const nodes = await compareInN8n();
	const table = [...storeRows(stores.runs), ...nodeRows(nodes)];
	writeSuiteResult({
		suite: 'reconcile',
		table,
		details: {
			storePlan: STORE_PLAN,
			missingShare: 1 / MISSING_EVERY,
			compareSizes: [...COMPARE_SIZES, TARGET_SIZE],
			ourRuns: OUR_RUNS,
			theirRuns: THEIR_RUNS,
			theirTargetRun: nodes.theirTargetRun,
			extrapolation: nodes.extrapolation,
			outputNames: OUTPUT_NAMES,
			outputComparisons: Object.fromEntries(nodes.comparisons),
			failures: nodes.failures,
			loadAverage1m: { start: loadAtStart, afterStores: loadAfterStores, end: os.loadavg()[0] },
			n8nExpressionEngine: process.env.N8N_EXPRESSION_ENGINE ?? 'vm (default)',
			n8nLog: nodes.n8nLog,
			seedKeysPerSecond: stores.seedKeysPerSecond,
			storeRuns: stores.runs,
			nodeRuns: nodes.runs,
		},
	});
	if (nodes.failures.length > 0) {
		console.error(`Failures:\n${nodes.failures.join('\n')}`);
		process.exitCode = 1;
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
