import type { WorkflowDefinition } from '../../test/e2e/harness';
import {
	codeNode,
	inARow,
	node,
	reconcileNode,
	twoInputsWorkflow,
	webhookNode,
	workflow,
} from '../../test/support/workflowBuilder';

/**
 * The workflows the node part runs, as a user would build them: a webhook that answers at once,
 * Code nodes that make the inputs from the request body, then the node measured. Only that node's
 * own execution time is its time; the execution's is reported beside it.
 */

export const COMPARE_NODE = 'Compare';
export const RECONCILE_NODE = 'Reconcile';

/** Both compare nodes match on this field and leave this one out of the comparison. */
export const MATCH_FIELD = 'sku';
const SKIP_FIELD = 'syncedAt';

/**
 * Input A: rows 0 .. size-1. Input B: rows size/100 .. size + size/100 - 1, shuffled (another
 * system exports in another order), every row with `index % 100 === 7` with another quantity, and
 * every row with another `syncedAt`, which is skipped. So 1 % is only in A, 1 % only in B, about
 * 1 % differs and the rest is the same. Both workflows make the same rows from the same size.
 */
const ROW = (index: string, qty: string, syncedAt: string) =>
	`({ json: { sku: 'SKU-' + String(${index}).padStart(7, '0'), name: 'Product ' + ${index}, qty: ${qty}, price: ((${index} * 37) % 10000) / 100, warehouse: 'WH-' + (${index} % 5), ${SKIP_FIELD}: '${syncedAt}' } })`;

const INPUT_A_CODE = `const { size } = $input.first().json.body;
return Array.from({ length: size }, (_, i) => ${ROW('i', 'i % 97', '2026-11-25T02:00:00.000Z')});`;

const INPUT_B_CODE = `const { size } = $input.first().json.body;
const shift = size / 100;
const order = Array.from({ length: size }, (_, n) => n + shift);
let seed = 20261125;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
for (let n = order.length - 1; n > 0; n--) {
	const m = Math.floor(random() * (n + 1));
	[order[n], order[m]] = [order[m], order[n]];
}
return order.map((i) => ${ROW('i', 'i < size && i % 100 === 7 ? (i % 97) + 1 : i % 97', '2026-11-26T02:00:00.000Z')});`;

/** How many rows each output must hold for `size` rows per input. */
export function expectedCounts(size: number): [number, number, number, number] {
	const shift = size / 100;
	let different = 0;
	for (let index = shift; index < size; index++) if (index % 100 === 7) different++;
	return [shift, size - shift - different, different, shift];
}

export type CompareContender = 'compareDatasets' | 'reconcile';

const COMPARE_PARAMETERS = {
	mergeByFields: { values: [{ field1: MATCH_FIELD, field2: MATCH_FIELD }] },
	resolve: 'includeBoth',
	options: { skipFields: SKIP_FIELD },
};

/** Webhook, Input A and Input B, then n8n's Compare Datasets 2.3 or Reconcile in Compare Inputs. */
export function compareWorkflow(contender: CompareContender, path: string): WorkflowDefinition {
	const compare =
		contender === 'compareDatasets'
			? node(COMPARE_NODE, 'n8n-nodes-base.compareDatasets', 2.3, COMPARE_PARAMETERS, [440, 0])
			: reconcileNode(COMPARE_NODE, { mode: 'compareInputs', ...COMPARE_PARAMETERS }, [440, 0]);
	return twoInputsWorkflow(
		`Bench: ${contender === 'compareDatasets' ? 'n8n Compare Datasets' : 'Reconcile, Compare Inputs'}`,
		path,
		{ a: INPUT_A_CODE, b: INPUT_B_CODE },
		[compare],
	);
}

/** The source window: `size` records `{ id, total }`, ids as bench/reconcile/storeSweep.ts makes them. */
const WINDOW_CODE = `const { size } = $input.first().json.body;
return Array.from({ length: size }, (_, i) => ({ json: { id: 'ord_' + size + '_' + String(i).padStart(7, '0'), total: i % 1000 } }));`;

/**
 * Webhook, a Code node making the window, then Reconcile against the embedded store with its
 * defaults (key `{{ $json.id }}`, claim recovered), in the namespace the request names.
 */
export function againstStoreWorkflow(path: string): WorkflowDefinition {
	return workflow(
		'Bench: Reconcile, Against Store (embedded)',
		[
			webhookNode(path),
			codeNode('Source Window', WINDOW_CODE, [220, 0]),
			reconcileNode(
				RECONCILE_NODE,
				{
					mode: 'againstStore',
					namespace: "={{ $('Webhook').first().json.body.namespace }}",
					storeBackend: 'embedded',
				},
				[440, 0],
			),
		],
		inARow('Webhook', 'Source Window', RECONCILE_NODE),
	);
}
