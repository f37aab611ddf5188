import type { INodeExecutionData, LogMetadata } from 'n8n-workflow';

import { Reconcile } from '../../../nodes/Reconcile/Reconcile.node';
import { fakeExecuteContext, type PerItem } from '../fakeExecuteContext';

export const STORE_OUTPUTS = [
	'Missing',
	'Handled',
	'Changed',
	'In Progress',
	'Dead Letter',
	'Report',
	'Alert',
] as const;
export const COMPARE_OUTPUTS = ['In A Only', 'Same', 'Different', 'In B Only'] as const;

/** What the node gets in n8n when only the mode was chosen: the key is `={{ $json.id }}`. */
const DEFAULTS: Record<string, unknown> = {
	mode: 'againstStore',
	key: ((item) => item.json.id) satisfies PerItem,
	namespace: 'orders',
	claimRecovered: true,
	leaseMinutes: 5,
	alertThresholdPercent: 1,
	storeBackend: 'embedded',
};

export type LogLine = { level: string; message: string; metadata?: LogMetadata };

export async function runReconcile(
	parameters: Record<string, unknown>,
	items: INodeExecutionData[],
	options: { continueOnFail?: boolean; secondInput?: INodeExecutionData[]; logs?: LogLine[] } = {},
): Promise<INodeExecutionData[][]> {
	const context = fakeExecuteContext({
		items,
		parameters: { ...DEFAULTS, ...parameters },
		node: {
			name: 'Reconcile',
			type: 'n8n-nodes-hybrid-sync.reconcile',
			id: 'reconcile-under-test',
		},
		...options,
	});
	return await new Reconcile().execute.call(context);
}

/** The ids on each named output; empty outputs are left out, so `toEqual` also says nothing went elsewhere. */
export function idsByOutput(
	outputs: INodeExecutionData[][],
	names: readonly string[],
): Record<string, unknown[]> {
	expect(outputs).toHaveLength(names.length);
	const byName: Record<string, unknown[]> = {};
	outputs.forEach((items, index) => {
		if (items.length > 0 && !['Report', 'Alert'].includes(names[index])) {
			byName[names[index]] = items.map((item) => item.json.id);
		}
	});
	return byName;
}

export const records = (...ids: string[]): INodeExecutionData[] =>
	ids.map((id) => ({ json: { id, total: 120, customer: { email: `${id}@example.com` } } }));
