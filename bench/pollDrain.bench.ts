import os from 'node:os';

import { Agent, setGlobalDispatcher } from 'undici';

import { isTerminalExecutionStatus } from 'n8n-workflow';

import { N8nInstance, type ExecutionDetail, type ExecutionSummary } from '../test/e2e/harness';
import { startMockChangesApi, type MockChangesApi, type RecordInput } from '../test/support/mockChangesApi';
import { cpuSeconds } from './pollDrain/processCpu';
import { findN8nPid, resetPeakRss, sampleTreeRss, statusBytes } from './pollDrain/processMemory';
import {
	CURSOR_POLL_TRIGGER,
	HTTP_REQUEST,
	SPLIT_OUT,
	cursorPollTriggerWorkflow,
	httpRequestDrainWorkflow,
} from './pollDrain/workflows';
import { writeSuiteResult } from './support/results';
import { median, round } from './support/stats';

/**
 * Draining a changes API of 200,000 records, 1,000 a page, keyset cursor pagination
 * (`/changes/cursor` of the mock API in test/support), each contender in its own real n8n:
 *   a. n8n's HTTP Request node with its built-in pagination, started by a webhook: 200 page items;
 *   s. the same plus Split Out into 200,000 record items (what users who want records build);
 *   c. the Cursor Poll Trigger backfilling the same records, 200 pages per poll: the whole backlog
 *      in one poll and one execution, one item per record (compare with s);
 *   p. the same trigger with one item per page (compare with a).
 * (Bounded polls, e.g. 20 pages per poll, add one poll interval per 20 pages and are not measured.)
 * Measured per run: the drain as the API saw it (first request in to the last page of records out),
 * end to end (webhook call or activation to the stop of the last execution, once every record
 * arrived exactly once), the HTTP Request node's own time (n8n's runData executionTime), the n8n
 * process's CPU time, and its peak RSS (VmHWM) plus the sampled peak of n8n and its task runner
 * together. Every drain starts in a freshly restarted n8n, so the peak is that drain's own.
 */

const RECORDS = 200_000;
const PAGE_SIZE = 1_000;
/** The HTTP Request node's page limit, well above the 200 pages the drain needs. */
const HTTP_MAX_PAGES = 1_000;
/** The trigger's Max Pages per Poll: the whole backlog in one poll, as the HTTP Request node reads it. */
const TRIGGER_MAX_PAGES = 200;
/** The node's minimum: between polls the trigger waits this long after the previous one ended. */
const POLL_INTERVAL_SECONDS = 1;
const WARM_UP_RUNS = 1;
const RUNS = 3;
const EXECUTION_TIMEOUT_MS = 10 * 60_000;
const POLL_MS = 500;
const WEBHOOK_ATTEMPTS = 40;
const UPDATED_SINCE = '2026-01-01T00:00:00.000Z';
/** Three records share each timestamp, so ties straddle every page edge (1,000 is not a multiple). */
const RECORDS_PER_TIMESTAMP = 3;
const WEBHOOK_PATH = 'bench-poll-drain';
const MB = 1024 * 1024;

type ContenderKey = 'a' | 's' | 'c' | 'p';
const CONTENDER_NAMES: Record<ContenderKey, string> = {
	a: 'n8n HTTP Request, built-in pagination (page items)',
	s: 'n8n HTTP Request, built-in pagination + Split Out (record items)',
	c: `Cursor Poll Trigger, ${TRIGGER_MAX_PAGES} pages per poll, record items`,
	p: `Cursor Poll Trigger, ${TRIGGER_MAX_PAGES} pages per poll, page items`,
};
/** The goals of issue 10: each trigger output against the baseline that emits the same items. */
const RATIOS: Array<[ContenderKey, ContenderKey]> = [
	['c', 's'],
	['p', 'a'],
];

/** What a drain leaves behind: the executions it ran, all finished. */
interface Drained {
	workflowId: string;
	/** The webhook call (a, s) or the activation (c, p). */
	startedAt: number;
	executions: ExecutionSummary[];
}

interface Contender {
	key: ContenderKey;
	/** Each contender has its own n8n (and database), restarted before each of its drains. */
	n8n: N8nInstance;
	drain(): Promise<Drained>;
	/** Every record id the executions emitted, in order: read after the measurement (see measure). */
	records(drained: Drained): Promise<{ ids: string[]; nodeMs?: number }>;
}

interface DrainRun {
	contender: ContenderKey;
	run: string;
	executionIds: string[];
	records: number;
	/** Requests the API answered with records, up to the last execution's stop. */
	pages: number;
	/** First request received by the API to the last page of records sent. */
	drainSeconds: number;
	/** Start (webhook call or activation) to the last execution's stop. */
	endToEndSeconds: number;
	/** The HTTP Request node's own time; the trigger's poll runs before its execution starts. */
	nodeMs?: number;
	/** CPU time of the n8n process from the start until every execution had finished. */
	n8nCpuSeconds: number;
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

const lastStop = (executions: ExecutionSummary[]) =>
	Math.max(...executions.map(({ stoppedAt }) => Date.parse(stoppedAt ?? '')));

/**
 * Measures one drain: CPU and memory from a fresh peak until n8n has finished every execution, then
 * the records. Reading an execution makes n8n load and serialise all its records, so that comes
 * after memory and CPU are read, and never while the trigger is still draining.
 */
async function measure(api: MockChangesApi, contender: Contender, run: string): Promise<DrainRun> {
	const { key, n8n } = contender;
	// V8 keeps the heap an earlier drain grew to, and RSS would show that instead of this drain's peak.
	await n8n.restart();
	const n8nPid = n8nPidOf(n8n);
	const firstRequest = api.requests.length;
	const n8nRssBeforeMb = statusBytes(n8nPid, 'VmRSS') / MB;
	resetPeakRss(n8nPid);
	const cpuBefore = cpuSeconds(n8nPid);
	const tree = sampleTreeRss(n8nPid);
	let drained: Drained;
	let treePeak: number;
	try {
		drained = await contender.drain();
	} finally {
		treePeak = tree.stop();
	}
	const n8nCpuSeconds = cpuSeconds(n8nPid) - cpuBefore;
	const n8nPeakRssMb = statusBytes(n8nPid, 'VmHWM') / MB;
	const { ids, nodeMs } = await contender.records(drained);
	const served = api.requests.slice(firstRequest);
	const failed = served.filter(({ status }) => status !== 200);
	if (failed.length > 0) throw new Error(`${key} ${run}: the API answered ${failed[0].status} to ${failed.length} request(s)`);
	const stoppedAt = lastStop(drained.executions);
	// The trigger polls on after the last execution and reads the last cursor's ties again.
	const pages = served.filter(({ served: records, receivedAt }) => records > 0 && receivedAt <= stoppedAt);
	return {
		contender: key,
		run,
		executionIds: drained.executions.map(({ id }) => id),
		records: checkedRecordCount(ids, `${key} ${run}`),
		pages: pages.length,
		drainSeconds: (pages[pages.length - 1].at - pages[0].receivedAt) / 1000,
		endToEndSeconds: (stoppedAt - drained.startedAt) / 1000,
		nodeMs,
		n8nCpuSeconds,
		n8nRssBeforeMb,
		n8nPeakRssMb,
		n8nAndRunnerPeakRssMb: treePeak / MB,
		loadAverage: os.loadavg()[0],
	};
}

async function executionDetails(n8n: N8nInstance, executions: ExecutionSummary[]): Promise<ExecutionDetail[]> {
	const details: ExecutionDetail[] = [];
	for (const { id } of executions) {
		const execution = await n8n.getExecution(id);
		if (execution.status !== 'success') {
			const error = execution.data.resultData.error?.message ?? 'no error recorded';
			throw new Error(`Execution ${execution.id} ended "${execution.status}" (${error})`);
		}
		details.push(execution);
	}
	return details;
}

/** a and s. One webhook call; the HTTP Request node walks every page in that one execution. */
async function httpRequestContender(api: MockChangesApi, key: 'a' | 's', n8n: N8nInstance): Promise<Contender> {
	const splitOut = key === 's';
	const workflow = await n8n.createWorkflow(
		httpRequestDrainWorkflow(WEBHOOK_PATH, `${api.url}/changes/cursor`, PAGE_SIZE, HTTP_MAX_PAGES, splitOut),
	);
	await n8n.activateWorkflow(workflow);
	const known = new Set<string>();
	return {
		key,
		n8n,
		async drain() {
			const call = () =>
				fetch(n8n.webhookUrl(WEBHOOK_PATH), {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ updatedSince: UPDATED_SINCE }),
				});
			let startedAt = Date.now();
			let response = await call();
			// Right after a restart n8n answers its REST API before it has registered the webhooks.
			for (let attempt = 1; response.status === 404 && attempt < WEBHOOK_ATTEMPTS; attempt++) {
				await sleep(POLL_MS);
				startedAt = Date.now();
				response = await call();
			}
			if (response.status !== 200) throw new Error(`Webhook answered ${response.status}: ${await response.text()}`);
			const all = await n8n.waitForExecutions(workflow.id, known.size + 1, EXECUTION_TIMEOUT_MS);
			const executions = all.filter(({ id }) => !known.has(id));
			for (const { id } of executions) known.add(id);
			return { workflowId: workflow.id, startedAt, executions };
		},
		async records({ executions }) {
			const [execution] = await executionDetails(n8n, executions);
			const [nodeRun] = execution.data.resultData.runData[HTTP_REQUEST] ?? [];
			const ids: string[] = [];
			if (splitOut) {
				const [splitRun] = execution.data.resultData.runData[SPLIT_OUT] ?? [];
				for (const { json } of splitRun?.data?.main[0] ?? []) ids.push(String(json.id));
			} else {
				for (const { json } of nodeRun?.data?.main[0] ?? []) {
					for (const { id } of (json as { data: Array<{ id: string }> }).data) ids.push(id);
				}
			}
			return { ids, nodeMs: nodeRun?.executionTime };
		},
	};
}

/**
 * Waits until the trigger has drained the backlog: every execution has finished and a poll started
 * after the last one, then ended without emitting (the next poll began). A poll's first request is
 * the one without the API's `cursor`, and the trigger starts a poll only after the previous one
 * (and the run it emitted) ended. Only execution summaries are read meanwhile.
 */
async function untilBacklogDrained(
	n8n: N8nInstance,
	api: MockChangesApi,
	workflowId: string,
	firstRequest: number,
): Promise<ExecutionSummary[]> {
	const deadline = Date.now() + EXECUTION_TIMEOUT_MS;
	for (;;) {
		// Requests first: an execution that a later poll start implies is then in the list.
		const requests = api.requests.slice(firstRequest);
		const executions = await n8n.listExecutions(workflowId);
		if (executions.length > 0 && executions.every(({ status }) => isTerminalExecutionStatus(status))) {
			const stoppedAt = lastStop(executions);
			const pollsSince = requests.filter(({ query, receivedAt }) => !('cursor' in query) && receivedAt > stoppedAt);
			if (pollsSince.length >= 2) return executions;
		}
		if (Date.now() > deadline) throw new Error(`The trigger was still draining after ${EXECUTION_TIMEOUT_MS} ms`);
		await sleep(POLL_MS);
	}
}

/**
 * c and p. A fresh workflow per run (a fresh cursor): publishing it runs the first poll, and the
 * trigger polls on until the backlog is drained.
 */
function cursorPollContender(api: MockChangesApi, key: 'c' | 'p', n8n: N8nInstance): Contender {
	const pageItems = key === 'p';
	const definition = cursorPollTriggerWorkflow(
		`${api.url}/changes/cursor`,
		UPDATED_SINCE,
		PAGE_SIZE,
		TRIGGER_MAX_PAGES,
		POLL_INTERVAL_SECONDS,
		pageItems ? 'page' : 'record',
	);
	return {
		key,
		n8n,
		async drain() {
			const workflow = await n8n.createWorkflow(definition);
			const firstRequest = api.requests.length;
			const startedAt = Date.now();
			await n8n.activateWorkflow(workflow);
			const executions = await untilBacklogDrained(n8n, api, workflow.id, firstRequest);
			return { workflowId: workflow.id, startedAt, executions };
		},
		async records({ workflowId, executions }) {
			await n8n.rest('POST', `/workflows/${workflowId}/deactivate`, {});
			const ids: string[] = [];
			const oldestFirst = [...executions].sort((x, y) => Number(x.id) - Number(y.id));
			for (const execution of await executionDetails(n8n, oldestFirst)) {
				const [triggerRun] = execution.data.resultData.runData[CURSOR_POLL_TRIGGER] ?? [];
				for (const { json } of triggerRun?.data?.main[0] ?? []) {
					if (!pageItems) ids.push(String(json.id));
					else for (const record of json.records as Array<{ id: string }>) ids.push(record.id);
				}
			}
			return { ids };
		},
	};
}

function summaryRow(key: ContenderKey, runs: DrainRun[]): Record<string, string | number> {
	const mine = runs.filter(({ contender }) => contender === key);
	const nodeMs = mine.flatMap(({ nodeMs }) => (nodeMs === undefined ? [] : [nodeMs]));
	return {
		contender: `${key}. ${CONTENDER_NAMES[key]}`,
		records: mine[0].records,
		pages: median(mine.map(({ pages }) => pages)),
		executions: median(mine.map(({ executionIds }) => executionIds.length)),
		'drain s': round(median(mine.map(({ drainSeconds }) => drainSeconds)), 2),
		'node s': nodeMs.length ? round(median(nodeMs) / 1000, 2) : '',
		'end-to-end s': round(median(mine.map(({ endToEndSeconds }) => endToEndSeconds)), 2),
		'records/s': Math.round(RECORDS / median(mine.map(({ endToEndSeconds }) => endToEndSeconds))),
		'n8n CPU s': round(median(mine.map(({ n8nCpuSeconds }) => n8nCpuSeconds)), 1),
		'n8n peak RSS MB': Math.round(median(mine.map(({ n8nPeakRssMb }) => n8nPeakRssMb))),
		'n8n+runner peak MB': Math.round(median(mine.map(({ n8nAndRunnerPeakRssMb }) => n8nAndRunnerPeakRssMb))),
	};
}

function ratioRow(
	[key, baseline]: [ContenderKey, ContenderKey],
	rows: Record<string, Record<string, string | number>>,
) {
	const ratio = (column: string) => round(Number(rows[key][column]) / Number(rows[baseline][column]), 2);
	return {
		contender: `${key} / ${baseline} (ratio)`,
		records: '',
		pages: '',
		executions: '',
		'drain s': ratio('drain s'),
		'node s': '',
		'end-to-end s': ratio('end-to-end s'),
		'records/s': ratio('records/s'),
		'n8n CPU s': ratio('n8n CPU s'),
		'n8n peak RSS MB': ratio('n8n peak RSS MB'),
		'n8n+runner peak MB': ratio('n8n+runner peak MB'),
	};
}

const n8nPidOf = (n8n: N8nInstance) => findN8nPid(Number(new URL(n8n.baseUrl).port));

/** Starts one n8n per contender, one after the other. */
async function startInstances(count: number): Promise<N8nInstance[]> {
	const instances: N8nInstance[] = [];
	try {
		while (instances.length < count) instances.push(await N8nInstance.start());
	} catch (error) {
		await Promise.all(instances.map((n8n) => n8n.stop()));
		throw error;
	}
	return instances;
}

async function main(): Promise<void> {
	const n8nSettings = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('N8N_')));
	const api = await startMockChangesApi({ records: dataset(), maxLimit: PAGE_SIZE });
	log(`Mock changes API at ${api.url} with ${api.records().length.toLocaleString('en-US')} records`);
	log(`Starting 4 n8n with ${JSON.stringify(n8nSettings)} over their defaults...`);
	const instances = await startInstances(4);
	try {
		const [forA, forS, forC, forP] = instances;
		const contenders: Contender[] = [
			await httpRequestContender(api, 'a', forA),
			await httpRequestContender(api, 's', forS),
			cursorPollContender(api, 'c', forC),
			cursorPollContender(api, 'p', forP),
		];

		const runs: DrainRun[] = [];
		for (let turn = 0; turn < WARM_UP_RUNS + RUNS; turn++) {
			const run = turn < WARM_UP_RUNS ? `warm-up ${turn + 1}` : `run ${turn - WARM_UP_RUNS + 1}`;
			// Each turn another one goes first, so all meet the same moments of a busy machine.
			const first = turn % contenders.length;
			for (const contender of [...contenders.slice(first), ...contenders.slice(0, first)]) {
				const result = await measure(api, contender, run);
				log(
					`${run} ${result.contender}: ${result.pages} pages in ${result.executionIds.length} execution(s), drain ${result.drainSeconds.toFixed(2)} s, end-to-end ${result.endToEndSeconds.toFixed(2)} s${result.nodeMs === undefined ? '' : `, node ${result.nodeMs} ms`}, n8n CPU ${result.n8nCpuSeconds.toFixed(1)} s, n8n peak RSS ${Math.round(result.n8nPeakRssMb)} MB (from ${Math.round(result.n8nRssBeforeMb)} MB), n8n+runner ${Math.round(result.n8nAndRunnerPeakRssMb)} MB`,
				);
				if (turn >= WARM_UP_RUNS) runs.push(result);
			}
		}

		const rows = Object.fromEntries(contenders.map(({ key }) => [key, summaryRow(key, runs)]));
		const table = [...Object.values(rows), ...RATIOS.map((pair) => ratioRow(pair, rows))];
		writeSuiteResult({
			suite: 'pollDrain',
			table,
			details: {
				records: RECORDS,
				pageSize: PAGE_SIZE,
				httpRequestMaxPages: HTTP_MAX_PAGES,
				triggerMaxPagesPerPoll: TRIGGER_MAX_PAGES,
				pollIntervalSeconds: POLL_INTERVAL_SECONDS,
				warmUpRuns: WARM_UP_RUNS,
				runs: RUNS,
				n8nSettings,
				n8nLogs: Object.fromEntries(contenders.map(({ key, n8n }) => [key, n8n.logFile])),
				measurements: runs,
			},
		});
	} finally {
		await Promise.all(instances.map((n8n) => n8n.stop()));
		await api.close();
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
