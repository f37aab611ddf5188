import type { INode } from 'n8n-workflow';

import type { WorkflowDefinition } from '../../test/e2e/harness';
import {
	codeNode,
	idempotencyCheckNode,
	inARow,
	node,
	webhookNode,
	workflow,
} from '../../test/support/workflowBuilder';

/**
 * The two workflows the node comparison runs, as a user would build them: a webhook that answers
 * at once, a Code node that makes `count` items `{ id: "<prefix>-<i>" }` from the request body,
 * then the deduplicating node. Only that last node's own execution time is measured.
 */

export const REMOVE_DUPLICATES = 'Remove Duplicates';
export const CLAIM = 'Claim';

const MAKE_ITEMS = 'Make Items';

// The body names the keys, so every run sends keys neither store has seen (or, on purpose, has).
const MAKE_ITEMS_CODE = `const { prefix, count } = $json.body;
return Array.from({ length: count }, (_, index) => ({ json: { id: \`\${prefix}-\${index}\` } }));`;

function itemsFromWebhook(name: string, path: string, deduplicate: INode[]): WorkflowDefinition {
	const nodes = [
		webhookNode(path),
		codeNode(MAKE_ITEMS, MAKE_ITEMS_CODE, [220, 0]),
		...deduplicate,
	];
	return workflow(name, nodes, inARow(...nodes.map((each) => each.name)));
}

/**
 * n8n's own node: "Remove Items Processed in Previous Executions", value is new. n8n refuses a run
 * once the keys it holds plus the run's items exceed the history size, so the bench sets it to
 * every key it will ever send.
 */
export function removeDuplicatesWorkflow(path: string, historySize: number): WorkflowDefinition {
	return itemsFromWebhook('Bench: n8n Remove Duplicates', path, [
		node(
			REMOVE_DUPLICATES,
			'n8n-nodes-base.removeDuplicates',
			2,
			{
				operation: 'removeItemsSeenInPreviousExecutions',
				logic: 'removeItemsWithAlreadySeenKeyValues',
				dedupeValue: '={{ $json.id }}',
				options: { historySize },
			},
			[440, 0],
		),
	]);
}

/**
 * Ours with the embedded store, claim then complete as the README wires it, so keys sent again
 * come out as Duplicate (completed) rather than In Progress. Only Claim is timed.
 */
export function idempotencyCheckWorkflow(path: string): WorkflowDefinition {
	const check = (name: string, parameters: INode['parameters'], x: number) =>
		idempotencyCheckNode(
			name,
			{ key: '={{ $json.id }}', namespace: 'bench', storeBackend: 'embedded', ...parameters },
			[x, 0],
		);
	return itemsFromWebhook('Bench: Idempotency Check (embedded)', path, [
		check(CLAIM, { operation: 'claim', leaseMinutes: 5, claimOptions: {} }, 440),
		check('Complete', { operation: 'complete' }, 660),
	]);
}
