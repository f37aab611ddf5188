import { randomUUID } from 'node:crypto';
import os from 'node:os';

import type { N8nInstance, WorkflowDefinition } from '../../test/e2e/harness';
import type { ClaimPath } from './storeClaims';
import {
	CLAIM,
	REMOVE_DUPLICATES,
	idempotencyCheckWorkflow,
	removeDuplicatesWorkflow,
} from './workflows';

/**
 * n8n's Remove Duplicates against our Idempotency Check (claim, embedded store) inside one real
 * n8n, on the same items: each run sends both workflows the same key prefix. n8n times every node
 * itself (runData executionTime), so webhook, Code node and execution bookkeeping stay out.
 */

export const ITEMS_PER_RUN = 10_000;
const EXECUTION_TIMEOUT_MS = 10 * 60_000;

export type ContenderKey = 'removeDuplicates' | 'idempotencyCheck';

interface Contender {
	key: ContenderKey;
	nodeName: string;
	path: string;
	workflowId: string;
	executions: number;
}

export interface NodeRun {
	contender: ContenderKey;
	run: string;
	path: ClaimPath;
	executionId: string;
	/** The node's own time as n8n recorded it. */
	nodeMs: number;
	itemsPerSecond: number;
	/** The whole execution, from start to stop, for scale. */
	executionMs: number;
	loadAverage: number;
}

export interface ComparisonPlan {
	warmUpRuns: number;
	/** Rounds of new keys, each followed by the same keys again. */
	runs: number;
}

/** New keys leave on the first output (Kept / New), keys seen before on the second (Discarded / Duplicate). */
const OUTPUT: Record<ClaimPath, number> = { new: 0, duplicate: 1 };

async function addContender(
	n8n: N8nInstance,
	key: ContenderKey,
	nodeName: string,
	workflow: (path: string) => WorkflowDefinition,
): Promise<Contender> {
	const path = `bench-${key}`;
	const created = await n8n.createWorkflow(workflow(path));
	await n8n.activateWorkflow(created);
	return { key, nodeName, path, workflowId: created.id, executions: 0 };
}

/** Sends one run's key prefix to the workflow and reads back how long the node took. */
async function runOnce(
	n8n: N8nInstance,
	contender: Contender,
	prefix: string,
	run: string,
	path: ClaimPath,
): Promise<NodeRun> {
	const before = new Set((await n8n.listExecutions(contender.workflowId)).map(({ id }) => id));
	const response = await fetch(n8n.webhookUrl(contender.path), {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ prefix, count: ITEMS_PER_RUN }),
	});
	if (response.status !== 200)
		throw new Error(
			`${contender.key} ${run}: webhook answered ${response.status}: ${await response.text()}`,
		);
	contender.executions += 1;
	const executions = await n8n.waitForExecutions(
		contender.workflowId,
		contender.executions,
		EXECUTION_TIMEOUT_MS,
	);
	const [summary] = executions.filter(({ id }) => !before.has(id));
	const execution = await n8n.getExecution(summary.id);
	const [nodeRun] = execution.data.resultData.runData[contender.nodeName] ?? [];
	if (execution.status !== 'success' || !nodeRun) {
		const error = execution.data.resultData.error?.message ?? 'no error recorded';
		throw new Error(
			`${contender.key} ${run}: execution ${summary.id} ended "${execution.status}" (${error})`,
		);
	}
	const routed = nodeRun.data?.main[OUTPUT[path]]?.length ?? 0;
	if (routed !== ITEMS_PER_RUN) {
		throw new Error(
			`${contender.key} ${run}: ${routed} of ${ITEMS_PER_RUN} items left on the ${path} output (execution ${summary.id})`,
		);
	}
	return {
		contender: contender.key,
		run,
		path,
		executionId: summary.id,
		nodeMs: nodeRun.executionTime,
		itemsPerSecond: ITEMS_PER_RUN / (nodeRun.executionTime / 1000),
		executionMs: Date.parse(execution.stoppedAt ?? '') - Date.parse(execution.startedAt ?? ''),
		loadAverage: os.loadavg()[0],
	};
}

/**
 * Warm-up runs (new keys, not reported), then `runs` rounds: the round's new keys, then the same
 * keys again. Each send goes to both contenders back to back, and they take turns going first,
 * so both see the same moment of a busy machine.
 */
export async function compareNodes(
	n8n: N8nInstance,
	plan: ComparisonPlan,
	log: (line: string) => void,
): Promise<NodeRun[]> {
	// Remove Duplicates fails a run that would take it past its history size; ours keeps every key.
	const historySize = ITEMS_PER_RUN * (plan.warmUpRuns + plan.runs + 1);
	const contenders = [
		await addContender(n8n, 'removeDuplicates', REMOVE_DUPLICATES, (path) =>
			removeDuplicatesWorkflow(path, historySize),
		),
		await addContender(n8n, 'idempotencyCheck', CLAIM, idempotencyCheckWorkflow),
	];
	const bench = randomUUID().slice(0, 8);
	const warmUps = Array.from({ length: plan.warmUpRuns }, (_, index) => ({
		run: `warm-up ${index + 1}`,
		prefix: `${bench}-w${index}`,
		path: 'new' as ClaimPath,
	}));
	const rounds = Array.from({ length: plan.runs }, (_, index) =>
		(['new', 'duplicate'] as const).map((path) => ({
			run: `${path} ${index + 1}`,
			prefix: `${bench}-r${index}`,
			path,
		})),
	).flat();
	const results: NodeRun[] = [];
	for (const [turn, { run, prefix, path }] of [...warmUps, ...rounds].entries()) {
		const order = turn % 2 === 0 ? contenders : [...contenders].reverse();
		for (const contender of order) {
			const result = await runOnce(n8n, contender, prefix, run, path);
			log(
				`${run} ${contender.key}: ${result.nodeMs} ms in the node (${Math.round(result.itemsPerSecond)} items/s), execution ${result.executionMs} ms`,
			);
			if (turn >= warmUps.length) results.push(result);
		}
	}
	return results;
}
