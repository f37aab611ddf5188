import type { ExecutionStatus } from 'n8n-workflow';

import { waitFor } from '../../support/waitFor';
import type { N8nInstance } from './n8n-instance';

/**
 * Execution counts from n8n's own SQL count. Paging through thousands of executions is not
 * reliable: n8n 2.41's cursor (last id and timestamp) skips and repeats rows once queue-mode
 * workers finish executions out of id order (seen: 2,000 of 2,001 listed, or 7 missing), while the
 * `count` of the same listing, filtered by workflow and status, is exact.
 */

const FINISHED: ExecutionStatus[] = ['success', 'error', 'crashed', 'canceled'];

export async function countExecutions(
	n8n: N8nInstance,
	workflowId: string,
	status?: ExecutionStatus[],
): Promise<number> {
	const filter = JSON.stringify(status ? { workflowId, status } : { workflowId });
	const page = await n8n.rest<{ count: number; estimated: boolean }>(
		'GET',
		`/executions?${new URLSearchParams({ filter, limit: '1' })}`,
	);
	if (page.estimated) throw new Error(`n8n estimated the execution count of ${workflowId}`);
	return page.count;
}

/** Waits until the workflow has at least `count` executions and all of them finished; answers them by status. */
export async function waitForFinishedExecutions(
	n8n: N8nInstance,
	workflowId: string,
	count: number,
	timeoutMs: number,
): Promise<Partial<Record<ExecutionStatus, number>>> {
	await waitFor(
		`${count} finished execution(s) of workflow ${workflowId}`,
		async () => {
			const all = await countExecutions(n8n, workflowId);
			return all >= count && (await countExecutions(n8n, workflowId, FINISHED)) === all;
		},
		timeoutMs,
	);
	const byStatus: Partial<Record<ExecutionStatus, number>> = {};
	for (const status of FINISHED) {
		const counted = await countExecutions(n8n, workflowId, [status]);
		if (counted > 0) byStatus[status] = counted;
	}
	return byStatus;
}
