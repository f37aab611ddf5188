import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EmbeddedStore } from '../../lib/store/EmbeddedStore';

/**
 * A real embedded store in a fresh temporary file for every test, closed and removed after it.
 * Read the store through the answer (`store()`), since each test gets a new one.
 */
export function useTemporaryEmbeddedStore(prefix: string): () => EmbeddedStore {
	let folder: string;
	let store: EmbeddedStore;
	beforeEach(() => {
		folder = mkdtempSync(join(tmpdir(), prefix));
		store = new EmbeddedStore({ path: join(folder, 'store.sqlite') });
	});
	afterEach(async () => {
		await store.close();
		rmSync(folder, { recursive: true, force: true });
	});
	return () => store;
}
