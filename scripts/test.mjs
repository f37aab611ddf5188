#!/usr/bin/env node
// `npm test`: the whole suite, starting what it needs. Installs the pinned n8n runtime (and the
// Node.js 24 it runs on) when missing, builds the package, then runs on Node 24:
//   1. unit + in-process workflow tests (jest.config.js), real Redis/PostgreSQL started by the tests
//   2. end-to-end tests against a real n8n process and the editor browser test (jest.e2e.config.js)
// Flags: --unit (only 1), --e2e (only 2); anything after `--` goes to jest.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureN8nRuntime } from './n8n-runtime.mjs';
import { buildPackage, run } from './processes.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const passthrough = args.includes('--') ? args.slice(args.indexOf('--') + 1) : [];
const only = args.includes('--unit') ? 'unit' : args.includes('--e2e') ? 'e2e' : 'all';

const { nodeBin } = await ensureN8nRuntime();
buildPackage();

const resultsDir = join(repo, 'test-artifacts', 'results');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

const suites = [
	{ name: 'unit', config: 'jest.config.js' },
	{ name: 'e2e', config: 'jest.e2e.config.js' },
].filter((suite) => only === 'all' || only === suite.name);

let failedSuites = 0;
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const suite of suites) {
	console.log(`\n=== ${suite.name} tests (${suite.config}, Node ${nodeBin}) ===`);
	const outputFile = join(resultsDir, `${suite.name}.json`);
	const passed = await run(
		nodeBin,
		[
			join(repo, 'node_modules', 'jest', 'bin', 'jest.js'),
			'-c',
			suite.config,
			'--json',
			`--outputFile=${outputFile}`,
			...passthrough,
		],
		{ cwd: repo },
	).then(
		() => true,
		() => false,
	);
	if (!passed) failedSuites++;
	try {
		const report = JSON.parse(readFileSync(outputFile, 'utf8'));
		totals.passed += report.numPassedTests;
		totals.failed += report.numFailedTests;
		totals.skipped += report.numPendingTests + report.numTodoTests;
		if (report.numTotalTests === 0) failedSuites++;
	} catch {
		failedSuites++;
	}
}

console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSuites === 0 && totals.failed === 0 ? 0 : 1);
