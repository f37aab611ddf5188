import { DatabaseSync } from 'node:sqlite';

import type { KeyState } from '../../../lib/store/IdempotencyStore';

/**
 * The key records of a namespace as the embedded store file holds them, read-only, while n8n
 * writes it: what a test checks the outcome against, without touching the store's own code path.
 */

export interface StoredKey {
	state: KeyState;
	attempts: number;
	releases: number;
	crashes: number;
	token: string | null;
}

export function storedKeys(storePath: string, namespace: string): Map<string, StoredKey> {
	const db = new DatabaseSync(storePath, { readOnly: true });
	try {
		const rows = db
			.prepare(
				'SELECT key, state, attempts, releases, crashes, token FROM idempotency_keys WHERE namespace = ?',
			)
			.all(namespace) as unknown as Array<StoredKey & { key: string }>;
		return new Map(rows.map(({ key, ...record }) => [key, record]));
	} finally {
		db.close();
	}
}
