import os from 'node:os';

import { Agent, setGlobalDispatcher } from 'undici';

import { N8nInstance, type ExecutionDetail } from '../test/e2e/harness';
import { startMockChangesApi, type MockChangesApi, type RecordInput } from '../test/support/mockChangesApi';
import { findN8nPid, resetPeakRss, sampleTreeRss, statusBytes } from './pollDrain/processMemory';
import {
	CURSOR_POLL_TRIGGER,
	HTTP_REQUEST,
	cursorPollTriggerWorkflow,
	httpRequestDrainWorkflow,
} from './pollDrain/workflows';
import { writeSuiteResult } from './support/results';
import { median, round } from './support/stats';

/**
 * Draining a changes API of 200,000 records, 1,000 a page, keyset cursor pagination
 * (`/changes/cursor` of the mock API in test/support), inside one real n8n:
 *   a. n8n's HTTP Request node with its built-in pagination, started by a webhook;
 *   b. the Cursor Poll Trigger backfilling the same records (TODO: measured once the node exists;
 *      see cursorPollTriggerWorkflow in pollDrain/workflows.ts).
 * Measured per run: the drain as the API saw it (first request in to last page out), the whole
 * execution, the HTTP Request node's own time (n8n's runData executionTime), and the n8n process's
 * peak RSS (VmHWM, reset before each run) plus the sampled peak of n8n and its task runner together.
 */

const RECORDS = 200_000;
const PAGE_SIZE = 1_000;
/** n8n's page limit for both contenders, well above the 200 pages the drain needs. */
const MAX_PAGES = 1_000;
const WARM_UP_RUNS = 1;
const RUNS = 3;
const EXECUTION_TIMEOUT_MS = 10 * 60_000;
const POLL_MS = 500;
const UPDATED_SINCE = '2026-01-01T00:00:00.000Z';
/** Three records share each timestamp, so ties straddle every page edge (1,000 is not a multiple). */
const RECORDS_PER_TIMESTAMP = 3;
const WEBHOOK_PATH = 'bench-poll-drain';
const MB = 1024 * 1024;

type ContenderKey = 'a' | 'b';
const CONTENDER_NAMES: Record<ContenderKey, string> = {
	a: 'n8n HTTP Request, built-in pagination',
	b: 'Cursor Poll Trigger',
};

interface DrainOutcome {
	executions: ExecutionDetail[];
	/** Every record id the contender emitted, in order. */
	ids: string[];
	nodeMs?: number;
	startedAt: number;
}
type Drain = () => Promise<DrainOutcome>;

interface DrainRun {
	contender: ContenderKey;
	run: string;
	executionIds: string[];
	records: number;
	pages: number;
	/** First request received by the API to the last page sent. */
	drainSeconds: number;
	/** Start (webhook call or activation) to the last execution's stop. */
	endToEndSeconds: number;
	/** The HTTP Request node's own time; the trigger's poll runs before its execution starts. */
	nodeMs?: number;
	n8nRssBeforeMb: number;
	n8nPeakRssMb: number;
	n8nAndRunnerPeakRssMb: number;
	loadAverage: number;
}

// n8n's event loop stands still while it stores a large execution; a keep-alive connection that sat
// idle meanwhile is then closed under the next request (other side closed). A fresh connection per
// request just waits in the listen queue.
setGlobalDispatcher(new Agent({ pipelining: 0 }));

const log = (line: string) => console.log(line);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function dataset(): RecordInput[] {
	const start = Date.parse(UPDATED_SINCE);
	return Array.from({ length: RECORDS }, (_, index) => ({
		id: `cus_${String(index).padStart(7, '0')}`,
		updatedAt: start + Math.floor(index / RECORDS_PER_TIMESTAMP) * 1000,
		name: `Customer ${index}`,
		email: `customer${index}@example.com`,
		status: index % 7 === 0 ? 'inactive' : 'active',
		balance: (index * 37) % 100_000,
		tags: ['bench', `cohort-${index % 12}`],
	}));
}

/** Counts the records and checks each arrived exactly once. */
function checkedRecordCount(ids: string[], what: string): number {
	const unique = new Set(ids).size;
	if (ids.length !== RECORDS || unique !== RECORDS)
		throw new Error(`${what}: ${ids.length} records (${unique} distinct), expected ${RECORDS} once each`);
	return ids.length;
}

/** Measures one drain: memory from a fresh peak, the API's log for pages and drain time. */
async function measure(
	api: MockChangesApi,
	n8nPid: number,
	contender: ContenderKey,
	run: string,
	drain: Drain,
): Promise<DrainRun> {
	const firstRequest = api.requests.length;
	const n8nRssBeforeMb = statusBytes(n8nPid, 'VmRSS') / MB;
	resetPeakRss(n8nPid);
	const tree = sampleTreeRss();
	let outcome: DrainOutcome;
	let treePeak: number;
	try {
		outcome = await drain();
	} finally {
		treePeak = tree.stop();
	}
	const n8nPeakRssMb = statusBytes(n8nPid, 'VmHWM') / MB;
	const n8nAndRunnerPeakRssMb = treePeak / MB;
	const served = api.requests.slice(firstRequest);
	const failed = served.filter(({ status }) => status !== 200);
	if (failed.length > 0) throw new Error(`${contender} ${run}: the API answered ${failed[0].status} to ${failed.length} request(s)`);
	const stoppedAt = Math.max(...outcome.executions.map(({ stoppedAt }) => Date.parse(stoppedAt ?? '')));
	return {
		contender,
		run,
		executionIds: outcome.executions.map(({ id }) => id),
		records: checkedRecordCount(outcome.ids, `${contender} ${run}`),
		pages: served.length,
		drainSeconds: (served[served.length - 1].at - served[0].receivedAt) / 1000,
		endToEndSeconds: (stoppedAt - outcome.startedAt) / 1000,
		nodeMs: outcome.nodeMs,
		n8nRssBeforeMb,
		n8nPeakRssMb,
		n8nAndRunnerPeakRssMb,
		loadAverage: os.loadavg()[0],
	};
}

async function newExecutions(n8n: N8nInstance, workflowId: string, known: Set<string>, count: number) {
	const all = await n8n.waitForExecutions(workflowId, known.size + count, EXECUTION_TIMEOUT_MS);
	const fresh = all.filter(({ id }) => !known.has(id));
	for (const { id } of fresh) known.add(id);
	const executions = await Promise.all(fresh.map(({ id }) => n8n.getExecution(id)));
	for (const execution of executions) {
		if (execution.status !== 'success') {
			const error = execution.data.resultData.error?.message ?? 'no error recorded';
			throw new Error(`Execution ${execution.id} ended "${execution.status}" (${error})`);
		}
	}
	return executions;
}

/** a. One webhook call; the HTTP Request node walks every page in that one execution. */
async function httpRequestContender(n8n: N8nInstance, api: MockChangesApi): Promise<Drain> {
	const workflow = await n8n.createWorkflow(
		httpRequestDrainWorkflow(WEBHOOK_PATH, `${api.url}/changes/cursor`, PAGE_SIZE, MAX_PAGES),
	);
	await n8n.activateWorkflow(workflow);
	const known = new Set<string>();
	return async () => {
		const startedAt = Date.now();
		const response = await fetch(n8n.webhookUrl(WEBHOOK_PATH), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ updatedSince: UPDATED_SINCE }),
		});
		if (response.status !== 200) throw new Error(`Webhook answered ${response.status}: ${await response.text()}`);
		const executions = await newExecutions(n8n, workflow.id, known, 1);
		const [nodeRun] = executions[0].data.resultData.runData[HTTP_REQUEST] ?? [];
		const pages = (nodeRun?.data?.main[0] ?? []).map(({ json }) => json as { data: Array<{ id: string }> });
		return { executions, startedAt, nodeMs: nodeRun?.executionTime, ids: pages.flatMap(({ data }) => data.map(({ id }) => id)) };
	};
}

/** b. A fresh workflow per run (a fresh cursor): publishing it runs the backfill poll. */
function cursorPollContender(n8n: N8nInstance, api: MockChangesApi): Drain | undefined {
	const definition = cursorPollTriggerWorkflow(`${api.url}/changes/cursor`, UPDATED_SINCE, PAGE_SIZE, MAX_PAGES);
	if (!definition) return undefined;
	return async () => {
		const workflow = await n8n.createWorkflow(definition);
		const startedAt = Date.now();
		await n8n.activateWorkflow(workflow);
		const known = new Set<string>();
		const executions: ExecutionDetail[] = [];
		const ids: string[] = [];
		const deadline = Date.now() + EXECUTION_TIMEOUT_MS;
		// A poll that stops at its page limit emits what it has; the next one goes on from there.
		while (ids.length < RECORDS) {
			if (Date.now() > deadline) throw new Error(`The trigger emitted ${ids.length} of ${RECORDS} records in time`);
			for (const execution of await newExecutions(n8n, workflow.id, known, executions.length === 0 ? 1 : 0)) {
				executions.push(execution);
				const [triggerRun] = execution.data.resultData.runData[CURSOR_POLL_TRIGGER] ?? [];
				ids.push(...(triggerRun?.data?.main[0] ?? []).map(({ json }) => String(json.id)));
			}
			if (ids.length < RECORDS) await sleep(POLL_MS);
		}
		await n8n.rest('POST', `/workflows/${workflow.id}/deactivate`, {});
		return { executions, startedAt, ids };
	};
}

function summaryRow(key: ContenderKey, runs: DrainRun[]): Record<string, string | number> {
	const mine = runs.filter(({ contender }) => contender === key);
	const nodeMs = mine.flatMap(({ nodeMs }) => (nodeMs === undefined ? [] : [nodeMs]));
	return {
		contender: `${key}. ${CONTENDER_NAMES[key]}`,
		records: mine[0].records,
		pages: median(mine.map(({ pages }) => pages)),
		'drain s': round(median(mine.map(({ drainSeconds }) => drainSeconds)), 2),
		'node s': nodeMs.length ? round(median(nodeMs) / 1000, 2) : '',
		'end-to-end s': round(median(mine.map(({ endToEndSeconds }) => endToEndSeconds)), 2),
		'records/s': Math.round(RECORDS / median(mine.map(({ drainSeconds }) => drainSeconds))),
		'n8n peak RSS MB': Math.round(median(mine.map(({ n8nPeakRssMb }) => n8nPeakRssMb))),
		'n8n+runner peak MB': Math.round(median(mine.map(({ n8nAndRunnerPeakRssMb }) => n8nAndRunnerPeakRssMb))),
	};
}

function ratioRow(b: Record<string, string | number>, a: Record<string, string | number>) {
	const ratio = (column: string) => round(Number(b[column]) / Number(a[column]), 2);
	return {
		contender: 'b / a (ratio)',
		records: '',
		pages: '',
		'drain s': ratio('drain s'),
		'node s': '',
		'end-to-end s': ratio('end-to-end s'),
		'records/s': ratio('records/s'),
		'n8n peak RSS MB': ratio('n8n peak RSS MB'),
		'n8n+runner peak MB': ratio('n8n+runner peak MB'),
	};
}

async function main(): Promise<void> {
	const n8nSettings = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('N8N_')));
	const api = await startMockChangesApi({ records: dataset(), maxLimit: PAGE_SIZE });
	log(`Mock changes API at ${api.url} with ${api.records().length.toLocaleString('en-US')} records`);
	const withTrigger = cursorPollTriggerWorkflow('', UPDATED_SINCE, PAGE_SIZE, MAX_PAGES) !== undefined;
	if (!withTrigger) log('The Cursor Poll Trigger workflow is still a TODO (bench/pollDrain/workflows.ts): measuring a. alone.');
	// Only the trigger needs this package inside n8n; (a) runs on a plain n8n, built or not.
	log(`Starting n8n with ${JSON.stringify(n8nSettings)} over its defaults...`);
	const n8n = await N8nInstance.start({ installPackage: withTrigger });
	try {
		const n8nPid = findN8nPid();
		const contenders: Array<[ContenderKey, Drain]> = [
			['a', await httpRequestContender(n8n, api)],
		];
		const trigger = cursorPollContender(n8n, api);
		if (trigger) contenders.push(['b', trigger]);

		const runs: DrainRun[] = [];
		for (let turn = 0; turn < WARM_UP_RUNS + RUNS; turn++) {
			const run = turn < WARM_UP_RUNS ? `warm-up ${turn + 1}` : `run ${turn - WARM_UP_RUNS + 1}`;
			// They take turns going first, so both meet the same moments of a busy machine.
			const order = turn % 2 === 0 ? contenders : [...contenders].reverse();
			for (const [key, drain] of order) {
				const result = await measure(api, n8nPid, key, run, drain);
				log(
					`${run} ${key}: ${result.pages} pages, drain ${result.drainSeconds.toFixed(2)} s, end-to-end ${result.endToEndSeconds.toFixed(2)} s${result.nodeMs === undefined ? '' : `, node ${result.nodeMs} ms`}, n8n peak RSS ${Math.round(result.n8nPeakRssMb)} MB (from ${Math.round(result.n8nRssBeforeMb)} MB), n8n+runner ${Math.round(result.n8nAndRunnerPeakRssMb)} MB`,
				);
				if (turn >= WARM_UP_RUNS) runs.push(result);
			}
		}

		const table = contenders.map(([key]) => summaryRow(key, runs));
		if (table.length === 2) table.push(ratioRow(table[1], table[0]));
		writeSuiteResult({
			suite: 'pollDrain',
			table,
			details: {
				records: RECORDS,
				pageSize: PAGE_SIZE,
				maxPages: MAX_PAGES,
				warmUpRuns: WARM_UP_RUNS,
				runs: RUNS,
				cursorPollTrigger: withTrigger ? 'measured' : 'TODO: node not available yet',
				n8nSettings,
				n8nLog: n8n.logFile,
				measurements: runs,
			},
		});
	} finally {
		await n8n.stop();
		await api.close();
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
