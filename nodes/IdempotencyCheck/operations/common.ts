import type { IdempotencyStore } from '../../../lib/store/IdempotencyStore';

export { readKey } from '../../shared/readKey';

/** The node's store, opened once the batch reaches it (see the node's execute). */
export type OpenStore = () => Promise<IdempotencyStore>;

export const DAY_MS = 86_400_000;
