import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';

import { closeAllStores } from '../../../lib/store/openStore';
import { IdempotencyCheck } from '../../../nodes/IdempotencyCheck/IdempotencyCheck.node';
import { fakeExecuteContext, type PerItem } from '../fakeExecuteContext';

/**
 * Gives every test its own real embedded store file, found the way the node finds it in n8n:
 * through HYBRID_SYNC_STORE_PATH. Returns the folder the files live in.
 */
export function useTemporaryStore(): { folder: string } {
	const folder = mkdtempSync(join(tmpdir(), 'hybrid-sync-node-'));
	const configured = process.env.HYBRID_SYNC_STORE_PATH;
	let fileNumber = 0;
	beforeEach(() => {
		process.env.HYBRID_SYNC_STORE_PATH = join(folder, `store-${++fileNumber}.sqlite`);
	});
	afterEach(async () => {
		await closeAllStores();
		if (configured === undefined) delete process.env.HYBRID_SYNC_STORE_PATH;
		else process.env.HYBRID_SYNC_STORE_PATH = configured;
	});
	afterAll(() => rmSync(folder, { recursive: true, force: true }));
	return { folder };
}

export type NodeParameters = Record<string, unknown>;

/** What the node gets in n8n when only the operation was chosen: the key is `={{ $json.id }}`. */
const DEFAULTS: NodeParameters = {
	operation: 'claim',
	key: ((item) => item.json.id) satisfies PerItem,
	namespace: 'default',
	storeBackend: 'embedded',
};

export async function runIdempotencyCheck(
	parameters: NodeParameters,
	items: INodeExecutionData[],
	/** `node.parameters` are the node's stored parameters, as n8n hands them over (defaults filled). */
	options: { continueOnFail?: boolean; node?: Partial<INode> } = {},
): Promise<INodeExecutionData[][]> {
	const context = fakeExecuteContext({
		items,
		parameters: { ...DEFAULTS, ...parameters },
		...options,
	});
	return await new IdempotencyCheck().execute.call(context);
}

/** One input item per event id, shaped like the Signed Webhook Trigger's output. */
export const events = (...ids: string[]): INodeExecutionData[] =>
	ids.map((id) => ({ json: { id, type: 'payment_intent.succeeded', amount: 4200 } }));

export const CLAIM_OUTPUTS = [
	'New',
	'Duplicate',
	'In Progress',
	'Dead Letter',
	'Mismatch',
] as const;
export const RELEASE_OUTPUTS = ['Released', 'Dead Letter', 'Lost Claim'] as const;
export const COMPLETE_OUTPUTS = ['Completed', 'Lost Claim'] as const;

/**
 * The ids on each named output, as the canvas would show the branches. Outputs with no items are
 * left out, so `toEqual` also says nothing went anywhere else.
 */
export function routed(
	outputs: INodeExecutionData[][],
	names: readonly string[],
): Record<string, unknown[]> {
	expect(outputs.length).toBeLessThanOrEqual(names.length);
	const branches: Record<string, unknown[]> = {};
	outputs.forEach((items, index) => {
		if (items.length > 0) branches[names[index]] = items.map((item) => item.json.id);
	});
	return branches;
}

/** The `idempotency` field the node adds to an output item. */
export const idempotencyOf = (item: INodeExecutionData) => item.json.idempotency as IDataObject;

export const sleep = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));
