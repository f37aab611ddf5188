import { randomUUID } from 'node:crypto';
import os from 'node:os';

import { EmbeddedStore } from '../../lib/store/EmbeddedStore';
import type { ExecutionDetail, N8nInstance } from '../../test/e2e/harness';
import { findN8nPid, resetPeakRss, sampleTreeRss, statusBytes } from '../pollDrain/processMemory';
import { MB } from './memory';
import { type OutputComparison, type OutputDigest, compareDigests, digestOutputs } from './outputs';
import { buildWindow, seed } from './storeSweep';
import {
	COMPARE_NODE,
	type CompareContender,
	MATCH_FIELD,
	RECONCILE_NODE,
	againstStoreWorkflow,
	compareWorkflow,
	expectedCounts,
} from './workflows';

/**
 * n8n's Compare Datasets against Reconcile's Compare Inputs, and Reconcile against the store,
 * inside one real n8n. n8n is restarted before every measured execution, so its peak RSS is that
 * execution's own; the node's time is n8n's own record of it (runData executionTime).
 */

const WEBHOOK_ATTEMPTS = 40;
const WEBHOOK_RETRY_MS = 500;

export type Contender = CompareContender | 'againstStore';

export interface NodeRun {
	contender: Contender;
	/** Rows per input (compare) or records in the window (against the store). */
	size: number;
	run: string;
	executionId: string;
	/** The node's own time as n8n recorded it. */
	nodeMs: number;
	/** Rows per input (or records) per second of the node's time. */
	rowsPerSecond: number;
	/** The whole execution (Code nodes making the inputs, the node, saving), start to stop. */
	executionMs: number;
	n8nRssBeforeMb: number;
	/** VmHWM of the n8n main process, which runs the node, reset after the restart. */
	n8nPeakRssMb: number;
	/** Sampled peak of n8n and its task runner (which runs the Code nodes) together. */
	n8nAndRunnerPeakRssMb: number;
	counts: number[];
	/** Compare runs: the same items as Compare Datasets' at the same size, output by output. */
	comparison?: OutputComparison;
	loadAverage: number;
}

interface Deployed {
	workflowId: string;
	path: string;
	known: Set<string>;
}

export class NodeBench {
	readonly runs: NodeRun[] = [];
	readonly failures: string[] = [];
	/** The first run's outputs of each compare contender at each size. */
	private readonly digests: Record<CompareContender, Map<number, OutputDigest>> = {
		compareDatasets: new Map(),
		reconcile: new Map(),
	};

	private constructor(
		private readonly n8n: N8nInstance,
		private readonly storePath: string,
		private readonly workflows: Record<Contender, Deployed>,
		private readonly log: (line: string) => void,
	) {}

	/** `storePath` is the embedded store file the n8n was started with (HYBRID_SYNC_STORE_PATH). */
	static async deploy(
		n8n: N8nInstance,
		storePath: string,
		log: (line: string) => void,
	): Promise<NodeBench> {
		const deployed = async (
			key: Contender,
			workflow: (path: string) => Parameters<N8nInstance['createWorkflow']>[0],
		) => {
			const path = `bench-reconcile-${key}`;
			const created = await n8n.createWorkflow(workflow(path));
			await n8n.activateWorkflow(created);
			return { workflowId: created.id, path, known: new Set<string>() };
		};
		return new NodeBench(
			n8n,
			storePath,
			{
				compareDatasets: await deployed('compareDatasets', (path) =>
					compareWorkflow('compareDatasets', path),
				),
				reconcile: await deployed('reconcile', (path) => compareWorkflow('reconcile', path)),
				againstStore: await deployed('againstStore', againstStoreWorkflow),
			},
			log,
		);
	}

	/**
	 * One compare run at `size` rows per input; `measured: false` runs it without restarting n8n or
	 * keeping the result (a warm-up that checks the wiring). `limitMs` bounds the wait: past it the
	 * run is given up (n8n is then stuck in the node, and must be stopped by the caller).
	 */
	async compare(
		contender: CompareContender,
		size: number,
		run: string,
		options: { measured: boolean; limitMs: number },
	): Promise<NodeRun> {
		const result = await this.execute(contender, size, run, { size }, options);
		const { execution, measure } = result;
		const digest = digestOutputs(execution, COMPARE_NODE, MATCH_FIELD);
		const expected = expectedCounts(size);
		if (digest.counts.some((count, output) => count !== expected[output])) {
			this.failures.push(
				`${contender} ${size} ${run}: outputs hold ${digest.counts.join(' / ')} items, the data makes ${expected.join(' / ')}`,
			);
		}
		// Each contender's every run is compared with its first; ours also with Compare Datasets'.
		const first = this.digests[contender].get(size);
		if (!first) this.digests[contender].set(size, digest);
		else {
			const repeat = compareDigests(digest, first);
			if (!repeat.identical)
				this.failures.push(`${contender} ${size} ${run}: not the outputs of its first run`);
		}
		const measured = { ...measure, counts: digest.counts };
		if (options.measured) this.runs.push(measured);
		return measured;
	}

	/**
	 * Compares Reconcile's outputs at each size with Compare Datasets' at the same size, for every
	 * size both ran at (warm-up included); a difference is a failure.
	 */
	compareOutputs(): Map<number, OutputComparison> {
		const bySize = new Map<number, OutputComparison>();
		for (const [size, ours] of this.digests.reconcile) {
			const theirs = this.digests.compareDatasets.get(size);
			if (!theirs) continue;
			const comparison = compareDigests(ours, theirs);
			bySize.set(size, comparison);
			for (const run of this.runs) {
				if (run.size === size && run.contender === 'reconcile') run.comparison = comparison;
			}
			if (!comparison.identical) {
				this.failures.push(
					`Reconcile and Compare Datasets differ at ${size} rows: ${comparison.differences.join('; ')}`,
				);
			}
		}
		return bySize;
	}

	/**
	 * One run of Reconcile against the embedded store at `size` records, in a namespace of its own
	 * seeded (from this process, before n8n restarts) with 99 % of the window's keys completed.
	 */
	async againstStore(size: number, run: string, limitMs: number): Promise<NodeRun> {
		const window = buildWindow(size);
		const namespace = `bench-node-${randomUUID().slice(0, 8)}`;
		const store = new EmbeddedStore({ path: this.storePath });
		try {
			await seed({ name: 'embedded', store }, window, namespace);
		} finally {
			await store.close();
		}
		const { execution, measure } = await this.execute(
			'againstStore',
			size,
			run,
			{ size, namespace },
			{ measured: true, limitMs },
		);
		const outputs = execution.data.resultData.runData[RECONCILE_NODE]?.at(-1)?.data?.main ?? [];
		const counts = outputs.map((items) => items?.length ?? 0);
		const report = outputs[5]?.[0]?.json;
		const missing = window.missing.length;
		if (
			counts[0] !== missing ||
			counts[1] !== size - missing ||
			report?.recovered !== missing ||
			report?.alreadyHandled !== size - missing
		) {
			this.failures.push(
				`againstStore ${size} ${run}: outputs hold ${counts.join(' / ')} items, report ${JSON.stringify(report)}; expected ${missing} missing and ${size - missing} handled`,
			);
		}
		const measured = { ...measure, counts };
		this.runs.push(measured);
		return measured;
	}

	private async execute(
		contender: Contender,
		size: number,
		run: string,
		body: Record<string, unknown>,
		{ measured, limitMs }: { measured: boolean; limitMs: number },
	): Promise<{ execution: ExecutionDetail; measure: Omit<NodeRun, 'counts'> }> {
		const { n8n } = this;
		const workflow = this.workflows[contender];
		// V8 keeps the heap an earlier run grew to; a fresh process shows this run's peak.
		if (measured) await n8n.restart();
		const n8nPid = findN8nPid(Number(new URL(n8n.baseUrl).port));
		const n8nRssBeforeMb = statusBytes(n8nPid, 'VmRSS') / MB;
		resetPeakRss(n8nPid);
		const tree = sampleTreeRss(n8nPid);
		let executionId: string;
		let treePeak: number;
		try {
			await this.callWebhook(workflow.path, body);
			executionId = await this.finished(workflow, `${contender} ${size} ${run}`, limitMs);
		} finally {
			treePeak = tree.stop();
		}
		const n8nPeakRssMb = statusBytes(n8nPid, 'VmHWM') / MB;
		// Reading the execution makes n8n load and serialise every item: after the memory is read.
		const execution = await n8n.getExecution(executionId);
		const [nodeRun] =
			execution.data.resultData.runData[
				contender === 'againstStore' ? RECONCILE_NODE : COMPARE_NODE
			] ?? [];
		if (execution.status !== 'success' || !nodeRun) {
			const error = execution.data.resultData.error?.message ?? 'no error recorded';
			throw new Error(
				`${contender} ${size} ${run}: execution ${executionId} ended "${execution.status}" (${error})`,
			);
		}
		const measure = {
			contender,
			size,
			run,
			executionId,
			nodeMs: nodeRun.executionTime,
			rowsPerSecond: size / (nodeRun.executionTime / 1000),
			executionMs: Date.parse(execution.stoppedAt ?? '') - Date.parse(execution.startedAt ?? ''),
			n8nRssBeforeMb,
			n8nPeakRssMb,
			n8nAndRunnerPeakRssMb: treePeak / MB,
			loadAverage: os.loadavg()[0],
		};
		this.log(
			`${run} ${contender} ${size.toLocaleString('en-US')}: ${measure.nodeMs} ms in the node, execution ${measure.executionMs} ms, n8n peak RSS ${Math.round(n8nPeakRssMb)} MB (from ${Math.round(n8nRssBeforeMb)} MB), n8n+runner ${Math.round(measure.n8nAndRunnerPeakRssMb)} MB`,
		);
		return { execution, measure };
	}

	private async callWebhook(path: string, body: Record<string, unknown>): Promise<void> {
		const call = () =>
			fetch(this.n8n.webhookUrl(path), {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body),
			});
		let response = await call();
		// Right after a restart n8n answers its REST API before it has registered the webhooks.
		for (let attempt = 1; response.status === 404 && attempt < WEBHOOK_ATTEMPTS; attempt++) {
			await new Promise((resolve) => setTimeout(resolve, WEBHOOK_RETRY_MS));
			response = await call();
		}
		if (response.status !== 200)
			throw new Error(`Webhook ${path} answered ${response.status}: ${await response.text()}`);
	}

	/** The id of the workflow's one new execution, once it has finished. */
	private async finished(workflow: Deployed, what: string, limitMs: number): Promise<string> {
		const waiting = this.n8n.waitForExecutions(
			workflow.workflowId,
			workflow.known.size + 1,
			limitMs,
		);
		// While n8n is stuck in a node its REST API does not answer, so the harness's own timeout
		// (checked between polls) cannot fire: this one does, and the caller stops n8n.
		let timer: NodeJS.Timeout | undefined;
		const limit = new Promise<never>((_, reject) => {
			timer = setTimeout(
				() => reject(new RunLimitError(`${what} had not finished after ${limitMs / 1000} s`)),
				limitMs,
			);
		});
		waiting.catch(() => undefined);
		try {
			const executions = await Promise.race([waiting, limit]);
			const fresh = executions.filter(({ id }) => !workflow.known.has(id));
			if (fresh.length !== 1)
				throw new Error(`${what}: ${fresh.length} new executions, expected 1`);
			workflow.known.add(fresh[0].id);
			return fresh[0].id;
		} finally {
			clearTimeout(timer);
		}
	}
}

/** A run that did not finish in the time the bench gives it. */
export class RunLimitError extends Error {}
