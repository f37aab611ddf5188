import type { IdempotencyStore } from './IdempotencyStore';

/**
 * Where a poller keeps its committed position: one JSON state per key, overwritten by each commit
 * and kept until overwritten (no retention, never evicted). Every backend offers it as
 * `store.cursors`, on the same connection (and credential) as its keys, in a table or key space of
 * its own, so cursors neither count towards nor raise the limits of idempotency records.
 */
export interface CursorStore {
	/** The state last written under `key`, or undefined when none was. */
	read(key: string): Promise<unknown>;
	/** Replaces the state under `key`; refused (nothing written) when over `MAX_CURSOR_BYTES` as JSON. */
	write(key: string, state: unknown): Promise<void>;
}

/**
 * The cursor under `key`. Releases before the cursor port kept cursors as completed records of
 * `legacyNamespace` in the idempotency store; a cursor found only there is moved to the port once,
 * so an upgraded trigger goes on from where it stood instead of draining from the start again.
 */
export async function readCursor(
	store: IdempotencyStore,
	key: string,
	legacyNamespace: string,
): Promise<unknown> {
	const state = await store.cursors.read(key);
	if (state !== undefined) return state;
	const [legacy] = await store.inspect(legacyNamespace, [key]);
	if (legacy?.state !== 'completed' || legacy.result === undefined) return undefined;
	await store.cursors.write(key, legacy.result);
	// Only after the write: a failure in between leaves the old record to be moved next time.
	await store.forget(legacyNamespace, [key]);
	return legacy.result;
}
