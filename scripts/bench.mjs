#!/usr/bin/env node
// `npm run bench`: builds the package (n8n loads dist/), then runs each suite in bench/ under the
// Node 24 that n8n runs on, prints one summary table per suite and writes them all to
// bench/results/latest.json. `npm run bench -- verifier` runs only the suites named.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureN8nRuntime } from './n8n-runtime.mjs';
import { buildPackage, run, runSync } from './processes.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(repo, 'bench', 'results');
const SUITES = ['verifier', 'webhook', 'idempotency', 'pollDrain', 'reconcile', 'queueMode', 'inboxRedrive'];
const N8N_SUITES = ['webhook', 'idempotency', 'pollDrain', 'reconcile', 'queueMode'];

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !SUITES.includes(name));
if (unknown.length > 0) {
	console.error(`Unknown suite(s) ${unknown.join(', ')}; the suites are ${SUITES.join(', ')}.`);
	process.exit(2);
}
const suites = requested.length > 0 ? requested : SUITES;

const { nodeBin, runtimeDir } = await ensureN8nRuntime();
if (suites.some((suite) => N8N_SUITES.includes(suite))) {
	buildPackage();
}

mkdirSync(resultsDir, { recursive: true });
const machine = () => ({ cpus: os.cpus().length, loadAverage1m: os.loadavg()[0] });
const report = {
	startedAt: new Date().toISOString(),
	node: runSync(nodeBin, ['-p', 'process.versions.node']).trim(),
	n8n: JSON.parse(readFileSync(join(runtimeDir, 'node_modules', 'n8n', 'package.json'), 'utf8'))
		.version,
	machineAtStart: machine(),
	suites: {},
	failed: [],
};

for (const suite of suites) {
	console.log(`\n=== bench: ${suite} (Node ${report.node}) ===`);
	const resultFile = join(resultsDir, `${suite}.json`);
	rmSync(resultFile, { force: true });
	const passed = await run(
		nodeBin,
		[
			'--import',
			'tsx',
			'--disable-warning=ExperimentalWarning',
			join('bench', `${suite}.bench.ts`),
		],
		{ cwd: repo },
	).then(
		() => true,
		() => false,
	);
	if (!passed || !existsSync(resultFile)) {
		report.failed.push(suite);
		continue;
	}
	report.suites[suite] = JSON.parse(readFileSync(resultFile, 'utf8'));
}

report.finishedAt = new Date().toISOString();
report.machineAtEnd = machine();
// A run of some suites keeps the others' last results; each suite carries its own finishedAt.
const latestFile = join(resultsDir, 'latest.json');
const previous = existsSync(latestFile)
	? (JSON.parse(readFileSync(latestFile, 'utf8')).suites ?? {})
	: {};
const latest = { ...report, suites: { ...previous, ...report.suites } };
writeFileSync(latestFile, `${JSON.stringify(latest, null, 2)}\n`);

console.log(
	`\n=== bench summary (n8n ${report.n8n}, Node ${report.node}, ${report.machineAtStart.cpus} cores) ===`,
);
for (const [suite, result] of Object.entries(report.suites)) {
	console.log(`\n${suite}:`);
	console.table(result.table);
}
const load = [report.machineAtStart, report.machineAtEnd].map((m) => m.loadAverage1m.toFixed(1));
console.log(
	`\nLoad average (1 min) at start/end: ${load.join(' / ')}; results in bench/results/latest.json`,
);
if (report.failed.length > 0) {
	console.error(`Failed suite(s): ${report.failed.join(', ')}`);
	process.exit(1);
}
