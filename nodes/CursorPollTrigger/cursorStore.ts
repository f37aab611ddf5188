import type { ITriggerFunctions } from 'n8n-workflow';

import type { CursorState } from '../../lib/poll/contracts';
import { openStoreFor } from '../shared/storeDescription';

const CURSOR_NAMESPACE = 'cursor-poll-trigger';
const CURSOR_RETENTION_MS = 10 * 365 * 86_400_000;

export interface CursorStore {
	read(): Promise<CursorState | undefined>;
	commit(state: CursorState): Promise<void>;
}

/**
 * The committed cursor of one trigger in the package's store (not workflow static data, which n8n
 * writes only on the next emit), so a commit is durable at once. Kept as a completed record under
 * `key` (workflow, node, cursor generation).
 */
export async function openCursorStore(
	context: ITriggerFunctions,
	backend: string,
	key: string,
): Promise<CursorStore> {
	const store = await openStoreFor(context, backend);
	return {
		async read() {
			const [record] = await store.inspect(CURSOR_NAMESPACE, [key]);
			return record?.result as CursorState | undefined;
		},
		async commit(state) {
			await store.complete(CURSOR_NAMESPACE, [{ key, result: state }], {
				retentionMs: CURSOR_RETENTION_MS,
			});
		},
	};
}
