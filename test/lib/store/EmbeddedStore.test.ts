import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { EmbeddedStore } from '../../../lib/store/EmbeddedStore';
import { type Clock, type IdempotencyStore, StoreError } from '../../../lib/store/IdempotencyStore';
import { describeCursorContract } from './cursorContract';
import { describeInboxContract } from './inboxContract';
import { describeLegacyRecords } from './legacyRecords';
import { describeStoreRaces } from './raceClaims';
import { T0, describeStoreContract, testClock } from './storeContract';

const folder = mkdtempSync(join(tmpdir(), 'hybrid-sync-embedded-'));
let fileNumber = 0;
const freshPath = () => join(folder, `store-${++fileNumber}.sqlite`);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The file each contract store was opened on, so a peer connection can open the same one. */
const contractPaths = new WeakMap<object, string>();
const openContractStore = async (clock: Clock, sameDataAs?: IdempotencyStore) => {
	const path = (sameDataAs && contractPaths.get(sameDataAs)) ?? freshPath();
	const store = new EmbeddedStore({ path, clock });
	contractPaths.set(store, path);
	return store;
};
describeStoreContract('embedded', openContractStore);
describeCursorContract('embedded', openContractStore);
describeInboxContract('embedded', {
	makeStore: openContractStore,
	storedBodies: async (store, _namespace, hash) => {
		const db = new DatabaseSync(contractPaths.get(store)!, { readOnly: true });
		try {
			return (
				db.prepare('SELECT count(*) AS n FROM inbox_bodies WHERE hash = ?').get(hash) as {
					n: number;
				}
			).n;
		} finally {
			db.close();
		}
	},
});

/** The file layout of the release before fencing tokens and crash counts. */
const PREVIOUS_SCHEMA = `
CREATE TABLE idempotency_keys (
	namespace TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
	fingerprint TEXT, result TEXT, claimed_at INTEGER, completed_at INTEGER, lease_expires_at INTEGER,
	expires_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE TABLE store_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

describeLegacyRecords('embedded', () => ({
	open: async (namespace, records, clock) => {
		const path = freshPath();
		const db = new DatabaseSync(path);
		db.exec(PREVIOUS_SCHEMA);
		const insert = db.prepare(
			'INSERT INTO idempotency_keys (namespace, key, state, attempts, result, claimed_at, completed_at, lease_expires_at, expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
		);
		for (const record of records) {
			insert.run(
				namespace,
				record.key,
				record.state,
				record.attempts,
				record.result ?? null,
				record.claimedAt ?? null,
				record.completedAt ?? null,
				record.leaseExpiresAt ?? null,
				record.expiresAt,
				record.updatedAt,
			);
		}
		db.close();
		return new EmbeddedStore({ path, clock });
	},
}));

it('adds the cursor table to a file of the release before it, next to its keys', async () => {
	const path = freshPath();
	const db = new DatabaseSync(path);
	db.exec(PREVIOUS_SCHEMA);
	db.close();
	const store = new EmbeddedStore({ path, clock: testClock().clock });
	await store.cursors.write('poll', { value: 1, seenIds: [] });
	await store.close();
	const reopened = new EmbeddedStore({ path, clock: testClock().clock });
	expect(await reopened.cursors.read('poll')).toEqual({ value: 1, seenIds: [] });
	await reopened.close();
});

function countRows(path: string, where = 'true'): number {
	const db = new DatabaseSync(path, { readOnly: true });
	try {
		return (
			db.prepare(`SELECT count(*) AS n FROM idempotency_keys WHERE ${where}`).get() as { n: number }
		).n;
	} finally {
		db.close();
	}
}

function countVersionRows(path: string): number {
	const db = new DatabaseSync(path, { readOnly: true });
	try {
		return (db.prepare('SELECT count(*) AS n FROM entity_versions').get() as { n: number }).n;
	} finally {
		db.close();
	}
}

function storedEntryCount(path: string): number {
	const db = new DatabaseSync(path, { readOnly: true });
	try {
		return (
			db.prepare("SELECT value FROM store_meta WHERE name = 'entries'").get() as { value: number }
		).value;
	} finally {
		db.close();
	}
}

const LEASE = { leaseMs: 60_000 };

describe('EmbeddedStore', () => {
	it('names its file in the description', async () => {
		const path = freshPath();
		const store = new EmbeddedStore({ path });
		expect(store.description).toBe(`embedded (${path})`);
		await store.close();
	});

	it('creates the folder of its file', async () => {
		const path = join(folder, 'nested', 'deeper', 'store.sqlite');
		const store = new EmbeddedStore({ path });
		expect((await store.markSeen('ns', ['k'], { ttlMs: 1000 }))[0].firstSeen).toBe(true);
		await store.close();
	});

	it('keeps keys across close and reopen', async () => {
		const path = freshPath();
		const time = testClock();
		const before = new EmbeddedStore({ path, clock: time.clock });
		await before.claim('ns', [{ key: 'a' }, { key: 'b' }], LEASE);
		await before.complete('ns', [{ key: 'a', result: { id: 1 } }], { retentionMs: 60_000 });
		await before.close();

		const after = new EmbeddedStore({ path, clock: time.clock });
		const outcomes = await after.claim('ns', [{ key: 'a' }, { key: 'b' }, { key: 'c' }], LEASE);
		expect(outcomes.map((outcome) => outcome.status)).toEqual([
			'duplicate',
			'inProgress',
			'claimed',
		]);
		expect(outcomes[0].record.result).toEqual({ id: 1 });
		await after.close();
	});

	it('refuses a file it cannot open with an unreachable error naming the path', () => {
		const blocker = join(folder, 'a-file');
		writeFileSync(blocker, 'not a folder');
		const path = join(blocker, 'store.sqlite');
		const attempt = () => new EmbeddedStore({ path });
		expect(attempt).toThrow(StoreError);
		expect(attempt).toThrow(
			expect.objectContaining({ reason: 'unreachable', message: expect.stringContaining(path) }),
		);
	});

	it('refuses a file that is not a SQLite database', () => {
		const path = join(folder, 'garbage.sqlite');
		writeFileSync(path, 'x'.repeat(4096));
		expect(() => new EmbeddedStore({ path })).toThrow(
			expect.objectContaining({ reason: 'unreachable', message: expect.stringContaining(path) }),
		);
	});

	it('refuses operations after close', async () => {
		const store = new EmbeddedStore({ path: freshPath() });
		await store.close();
		await expect(store.markSeen('ns', ['k'], { ttlMs: 1000 })).rejects.toMatchObject({
			reason: 'invalidConfig',
		});
	});

	describe('size bound', () => {
		/** These tests count evictions themselves; their warnings would only flood the output. */
		const quiet = { warn: () => undefined };

		it('evicts the completed keys expiring soonest once over maxEntries', async () => {
			const path = freshPath();
			const time = testClock();
			const store = new EmbeddedStore({ path, maxEntries: 100, clock: time.clock, logger: quiet });
			for (let batch = 0; batch < 5; batch++) {
				const keys = Array.from({ length: 50 }, (_, index) => `k${batch * 50 + index}`);
				// Later keys get longer windows, so the earliest keys expire soonest.
				await store.markSeen('ns', keys, { ttlMs: 3_600_000 + batch * 1000 });
			}
			expect(countRows(path)).toBe(100);
			const survivors = await store.inspect('ns', ['k0', 'k149', 'k150', 'k249']);
			expect(survivors.map((record) => record !== undefined)).toEqual([false, false, true, true]);
			await store.close();
		});

		it('keeps cursors outside the bound: never evicted, never counted', async () => {
			const path = freshPath();
			const store = new EmbeddedStore({
				path,
				maxEntries: 2,
				clock: testClock().clock,
				logger: quiet,
			});
			await store.cursors.write('poll-1', { value: 1, seenIds: [] });
			await store.cursors.write('poll-2', { value: 2, seenIds: [] });
			await store.markSeen('ns', ['a', 'b'], { ttlMs: 60_000 });
			expect(await store.evictions()).toBe(0);
			await store.markSeen('ns', ['c'], { ttlMs: 60_000 });
			expect(await store.evictions()).toBe(1);
			expect(await store.cursors.read('poll-1')).toEqual({ value: 1, seenIds: [] });
			expect(await store.cursors.read('poll-2')).toEqual({ value: 2, seenIds: [] });
			await store.close();
		});

		it('keeps inbox entries and rejections outside the bound: they have their own', async () => {
			const path = freshPath();
			const time = testClock();
			const store = new EmbeddedStore({ path, maxEntries: 2, clock: time.clock, logger: quiet });
			await store.markSeen('ns', ['a', 'b'], { ttlMs: 60_000 });
			const bounds = { retentionMs: 60_000, maxEntries: 3 };
			for (const eventId of ['e1', 'e2', 'e3', 'e4']) {
				await store.inbox.keep(
					'ns',
					{
						rawBody: Buffer.from(eventId),
						events: [
							{ eventId, eventType: null, scheme: 's', path: 'p', envelope: {}, headers: {} },
						],
						receivedAt: time.now(),
					},
					bounds,
				);
				await store.inbox.recordRejection(
					'ns',
					{
						path: 'p',
						scheme: 's',
						reason: 'signatureMismatch',
						status: 401,
						at: time.now(),
						headers: {},
						bodyPrefix: '',
						sourceIp: null,
					},
					bounds,
				);
				time.advance(1);
			}
			expect(await store.evictions()).toBe(0);
			expect(storedEntryCount(path)).toBe(2);
			expect(await store.inspect('ns', ['a', 'b'])).toEqual([
				expect.objectContaining({ key: 'a' }),
				expect.objectContaining({ key: 'b' }),
			]);
			expect((await store.inbox.tally('ns', 0)).dropped).toBe(1);
			expect(await store.inbox.rejections('ns', { limit: 10 })).toHaveLength(3);
			await store.close();
		});

		it('never evicts a live claim, even when over the bound', async () => {
			const path = freshPath();
			const store = new EmbeddedStore({
				path,
				maxEntries: 10,
				clock: testClock().clock,
				logger: quiet,
			});
			await store.markSeen('ns', ['seen-1', 'seen-2'], { ttlMs: 60_000 });
			const keys = Array.from({ length: 30 }, (_, index) => ({ key: `claim-${index}` }));
			await store.claim('ns', keys, LEASE);
			expect(countRows(path)).toBe(30);
			expect(countRows(path, "state = 'inProgress'")).toBe(30);
			await store.close();
		});

		it('purges expired keys before it evicts a live one', async () => {
			const path = freshPath();
			const time = testClock();
			const store = new EmbeddedStore({ path, maxEntries: 10, clock: time.clock, logger: quiet });
			await store.markSeen('ns', ['short-1', 'short-2', 'short-3'], { ttlMs: 1000 });
			await store.markSeen('ns', ['long-1', 'long-2'], { ttlMs: 3_600_000 });
			time.advance(1000);
			await store.markSeen(
				'ns',
				Array.from({ length: 8 }, (_, index) => `new-${index}`),
				{ ttlMs: 60_000 },
			);
			expect(countRows(path)).toBe(10);
			expect((await store.inspect('ns', ['long-1', 'long-2'])).every(Boolean)).toBe(true);
			await store.close();
		});

		it('purges expired keys now and then even under the bound', async () => {
			const path = freshPath();
			const time = testClock();
			const store = new EmbeddedStore({ path, clock: time.clock });
			await store.markSeen('ns', ['a', 'b', 'c'], { ttlMs: 1000 });
			time.advance(3_600_000);
			await store.markSeen('ns', ['d'], { ttlMs: 1000 });
			expect(countRows(path)).toBe(1);
			await store.close();
		});

		it('counts entity versions in the bound: completed keys go first, then versions', async () => {
			const path = freshPath();
			const time = testClock();
			const store = new EmbeddedStore({ path, maxEntries: 10, clock: time.clock, logger: quiet });
			const entities = Array.from({ length: 6 }, (_, index) => `cus_${index}`);
			await store.recordVersions(
				'ns',
				entities.map((entity) => ({ entity, version: 1 })),
				{ retentionMs: 3_600_000 },
			);
			await store.markSeen('ns', ['a', 'b', 'c', 'd'], { ttlMs: 7_200_000 });
			expect(storedEntryCount(path)).toBe(10);
			time.advance(1);
			await store.markSeen('ns', ['e', 'f'], { ttlMs: 7_200_000 });
			expect(countRows(path) + countVersionRows(path)).toBe(10);
			expect(countVersionRows(path)).toBe(6);
			await store.recordVersions('ns', [{ entity: 'cus_new', version: 1 }], {
				retentionMs: 60_000,
			});
			expect(storedEntryCount(path)).toBe(10);
			expect(await store.readVersions('ns', ['cus_new'])).toEqual([1]);
			await store.close();
		});

		it('counts and logs every unexpired entry it evicts, but not expired ones it purges', async () => {
			const path = freshPath();
			const time = testClock();
			const warnings: Array<{ message: string; metadata?: Record<string, unknown> }> = [];
			const logger = {
				warn: (message: string, metadata?: Record<string, unknown>) =>
					warnings.push({ message, metadata }),
			};
			const store = new EmbeddedStore({ path, maxEntries: 5, clock: time.clock, logger });
			await store.markSeen('ns', ['short-1', 'short-2'], { ttlMs: 1000 });
			time.advance(1000);
			await store.markSeen('ns', ['a', 'b', 'c', 'd', 'e'], { ttlMs: 60_000 });
			expect(await store.evictions()).toBe(0);
			await store.markSeen('ns', ['f', 'g'], { ttlMs: 120_000 });
			expect(await store.evictions()).toBe(2);
			expect(warnings.map(({ metadata }) => metadata?.key)).toEqual(['a', 'b']);
			expect(warnings[0].message).toMatch(
				/evicted an unexpired completed entry to stay within 5 entries: a late duplicate of this key would run again\. Raise HYBRID_SYNC_STORE_MAX_ENTRIES or use Redis or PostgreSQL/,
			);
			expect(warnings[0].metadata).toMatchObject({
				namespace: 'ns',
				expiresAt: time.now() + 60_000,
			});
			await store.close();
			const reopened = new EmbeddedStore({ path, maxEntries: 5, clock: time.clock, logger });
			expect(await reopened.evictions()).toBe(2);
			await reopened.close();
		});

		it('evicts claims whose lease ran out before dead letters, and live claims never', async () => {
			const path = freshPath();
			const time = testClock();
			const store = new EmbeddedStore({ path, maxEntries: 4, clock: time.clock, logger: quiet });
			await store.claim('ns', [{ key: 'dead' }], LEASE);
			await store.release('ns', ['dead'], { maxAttempts: 1, deadLetterRetentionMs: 3_600_000 });
			await store.claim('ns', [{ key: 'crashed-1' }, { key: 'crashed-2' }], LEASE);
			time.advance(LEASE.leaseMs);
			await store.claim('ns', [{ key: 'live-1' }, { key: 'live-2' }, { key: 'live-3' }], LEASE);
			expect(await store.evictions()).toBe(2);
			const states = await store.inspect('ns', [
				'dead',
				'crashed-1',
				'crashed-2',
				'live-1',
				'live-2',
			]);
			expect(states.map((record) => record?.state)).toEqual([
				'deadLetter',
				undefined,
				undefined,
				'inProgress',
				'inProgress',
			]);
			await store.close();
		});

		it('keeps the count right across stores sharing the file', async () => {
			const path = freshPath();
			const time = testClock();
			const first = new EmbeddedStore({ path, maxEntries: 15, clock: time.clock, logger: quiet });
			const second = new EmbeddedStore({ path, maxEntries: 15, clock: time.clock, logger: quiet });
			for (let round = 0; round < 10; round++) {
				const store = round % 2 === 0 ? first : second;
				time.advance(1);
				await store.markSeen('ns', [`a${round}`, `b${round}`, `c${round}`], { ttlMs: 60_000 });
				await store.forget('ns', [`c${round}`]);
			}
			const rows = countRows(path);
			expect(rows).toBeLessThanOrEqual(15);
			expect(rows).toBe(storedEntryCount(path));
			await Promise.all([first.close(), second.close()]);
		});
	});

	describeStoreRaces(() => {
		const path = freshPath();
		return { open: () => new EmbeddedStore({ path }), config: { backend: 'embedded', path } };
	});

	it('reads the injected clock, not the system time', async () => {
		const store = new EmbeddedStore({ path: freshPath(), clock: () => T0 });
		const [outcome] = await store.markSeen('ns', ['k'], { ttlMs: 1000 });
		expect(outcome.record.expiresAt).toBe(T0 + 1000);
		await store.close();
	});
});
