import type { ITriggerFunctions } from 'n8n-workflow';

import type { CursorState } from '../../lib/poll/contracts';
import { readCursor } from '../../lib/store/CursorStore';
import { openStoreFor } from '../shared/storeDescription';

/** Where releases before the store's cursor port kept this trigger's cursors, as completed records. */
const LEGACY_CURSOR_NAMESPACE = 'cursor-poll-trigger';

export interface CursorStore {
	read(): Promise<CursorState | undefined>;
	commit(state: CursorState): Promise<void>;
}

/**
 * The committed cursor of one trigger in the package's store (not workflow static data, which n8n
 * writes only on the next emit), so a commit is durable at once. Kept in the store's cursor port
 * under `key` (workflow, node, cursor generation).
 */
export async function openCursorStore(
	context: ITriggerFunctions,
	backend: string,
	key: string,
): Promise<CursorStore> {
	const store = await openStoreFor(context, backend);
	return {
		read: async () =>
			(await readCursor(store, key, LEGACY_CURSOR_NAMESPACE)) as CursorState | undefined,
		commit: async (state) => await store.cursors.write(key, state),
	};
}
