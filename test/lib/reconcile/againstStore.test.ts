import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { reconcileAgainstStore } from '../../../lib/reconcile/againstStore';
import { EmbeddedStore } from '../../../lib/store/EmbeddedStore';
import type { IdempotencyStore } from '../../../lib/store/IdempotencyStore';

const NAMESPACE = 'orders';
const LEASE = { leaseMs: 60_000 };

let folder: string;
let store: EmbeddedStore;

beforeEach(() => {
	folder = mkdtempSync(join(tmpdir(), 'reconcile-core-'));
	store = new EmbeddedStore({ path: join(folder, 'store.sqlite') });
});

afterEach(async () => {
	await store.close();
	rmSync(folder, { recursive: true, force: true });
});

async function complete(...keys: string[]): Promise<void> {
	await store.claim(
		NAMESPACE,
		keys.map((key) => ({ key })),
		LEASE,
	);
	await store.complete(
		NAMESPACE,
		keys.map((key) => ({ key })),
		{ retentionMs: 86_400_000 },
	);
}

const entries = (...keys: string[]) => keys.map((key) => ({ key }));

describe('reconcileAgainstStore', () => {
	it('gives the same answer whatever the chunk size, repeats across chunks included', async () => {
		const window = entries('k0', 'k1', 'k2', 'k1', 'k3', 'k0', 'k4', 'k5');
		const answers = [];

		for (const chunkSize of [1, 2, 3, 100]) {
			const scratch = new EmbeddedStore({ path: join(folder, `chunk-${chunkSize}.sqlite`) });
			await scratch.claim(NAMESPACE, entries('k1', 'k4'), LEASE);
			await scratch.complete(NAMESPACE, entries('k1', 'k4'), { retentionMs: 86_400_000 });
			answers.push(
				await reconcileAgainstStore(scratch, NAMESPACE, window, {
					claimRecovered: true,
					leaseMs: 60_000,
					chunkSize,
				}),
			);
			await scratch.close();
		}

		for (const answer of answers) {
			expect(answer).toEqual({
				classes: [
					'missing',
					'handled',
					'missing',
					'handled',
					'missing',
					'inProgress',
					'handled',
					'missing',
				],
				claimed: [true, false, true, false, true, false, false, true],
				tokens: answer.claimed.map((claimed) => (claimed ? expect.any(String) : undefined)),
			});
			expect(new Set(answer.tokens.filter(Boolean)).size).toBe(4);
		}
	});

	it('loses a claim to a webhook that claimed between the look-up and the claim, and says so', async () => {
		// The webhook path claims 'b' and completes 'c' right after the sweep read the store.
		const racing: IdempotencyStore = Object.create(store, {
			inspect: {
				value: async (namespace: string, keys: string[]) => {
					const records = await store.inspect(namespace, keys);
					await store.claim(NAMESPACE, entries('b', 'c'), LEASE);
					await store.complete(NAMESPACE, entries('c'), { retentionMs: 86_400_000 });
					return records;
				},
			},
		});

		const outcome = await reconcileAgainstStore(racing, NAMESPACE, entries('a', 'b', 'c'), {
			claimRecovered: true,
			leaseMs: 60_000,
		});

		expect(outcome).toEqual({
			classes: ['missing', 'inProgress', 'handled'],
			claimed: [true, false, false],
			tokens: [expect.any(String), undefined, undefined],
		});
	});

	it('treats a claim whose lease ran out as missing, and one still running as in progress', async () => {
		await store.claim(NAMESPACE, entries('expired'), { leaseMs: 1 });
		await store.claim(NAMESPACE, entries('running'), LEASE);
		await new Promise((resolve) => setTimeout(resolve, 20));

		const outcome = await reconcileAgainstStore(store, NAMESPACE, entries('expired', 'running'), {
			claimRecovered: false,
			leaseMs: 60_000,
		});

		expect(outcome.classes).toEqual(['missing', 'inProgress']);
	});

	it('reads no versions when no entry has one, and compares per entity when one does', async () => {
		await complete('event-1', 'event-2');
		await store.recordVersions(NAMESPACE, [{ entity: 'order-9', version: 3 }], {
			retentionMs: 86_400_000,
		});
		const readVersions = jest.spyOn(store, 'readVersions');

		const plain = await reconcileAgainstStore(store, NAMESPACE, entries('event-1'), {
			claimRecovered: false,
			leaseMs: 1,
		});
		const versioned = await reconcileAgainstStore(
			store,
			NAMESPACE,
			[
				{ key: 'event-1', entity: 'order-9', version: 4 },
				{ key: 'event-2', entity: 'order-9', version: 3 },
			],
			{ claimRecovered: false, leaseMs: 1 },
		);

		expect(plain.classes).toEqual(['handled']);
		expect(versioned.classes).toEqual(['changed', 'handled']);
		expect(readVersions).toHaveBeenCalledTimes(1);
	});
});
