/**
 * Records written by the release before fencing tokens and crash counts (no token, no counters,
 * an inProgress claim that expires with its lease) must keep working. Each backend's test seeds
 * such records in its own old format; the expectations are the same for all three.
 */
import type { Clock, IdempotencyStore } from '../../../lib/store/IdempotencyStore';
import { T0, testClock } from './storeContract';

/** One record as the previous release stored it: every field it had, none it did not. */
export interface LegacyRecord {
	key: string;
	state: 'inProgress' | 'completed' | 'released' | 'deadLetter';
	attempts: number;
	/** JSON text, as every backend stores results. */
	result?: string;
	claimedAt?: number;
	completedAt?: number;
	leaseExpiresAt?: number;
	expiresAt: number;
	updatedAt: number;
}

const LEASE_MS = 60_000;
const LEASE = { leaseMs: LEASE_MS };
const RELEASE = { maxAttempts: 3, deadLetterRetentionMs: 86_400_000 };

export const LEGACY_RECORDS: LegacyRecord[] = [
	{
		key: 'live-claim',
		state: 'inProgress',
		attempts: 1,
		claimedAt: T0 - 1000,
		leaseExpiresAt: T0 + LEASE_MS,
		expiresAt: T0 + LEASE_MS,
		updatedAt: T0 - 1000,
	},
	{
		key: 'done',
		state: 'completed',
		attempts: 1,
		result: '{"id":1}',
		claimedAt: T0 - 5000,
		completedAt: T0 - 1000,
		expiresAt: T0 + 86_400_000,
		updatedAt: T0 - 1000,
	},
	{
		key: 'given-back',
		state: 'released',
		attempts: 2,
		claimedAt: T0 - 5000,
		expiresAt: T0 + 86_400_000,
		updatedAt: T0 - 4000,
	},
];

export interface LegacySetup {
	/** Writes the records into `namespace` in the old format, then opens the current store on them. */
	open(namespace: string, records: LegacyRecord[], clock: Clock): Promise<IdempotencyStore>;
}

export function describeLegacyRecords(name: string, setup: () => LegacySetup): void {
	describe(`${name}: records written before fencing tokens and crash counts`, () => {
		let store: IdempotencyStore | undefined;
		afterEach(async () => await store?.close());

		const openSeeded = async () => {
			const time = testClock();
			const namespace = `legacy-${Math.random().toString(36).slice(2)}`;
			store = await setup().open(namespace, LEGACY_RECORDS, time.clock);
			return { store, namespace, time };
		};

		it('reads them with no token and zero counters', async () => {
			const { store, namespace } = await openSeeded();
			const records = await store.inspect(namespace, ['live-claim', 'done', 'given-back']);
			expect(records.map((record) => record?.token)).toEqual([undefined, undefined, undefined]);
			expect(records.map((record) => [record?.state, record?.releases, record?.crashes])).toEqual([
				['inProgress', 0, 0],
				['completed', 0, 0],
				['released', 0, 0],
			]);
			expect(records[1]?.result).toEqual({ id: 1 });
		});

		it('claims them by the same rules: a live claim holds, a completed key is a duplicate, a released key is New with a token', async () => {
			const { store, namespace } = await openSeeded();
			const outcomes = await store.claim(
				namespace,
				['live-claim', 'done', 'given-back'].map((key) => ({ key })),
				LEASE,
			);
			expect(outcomes.map((outcome) => outcome.status)).toEqual([
				'inProgress',
				'duplicate',
				'claimed',
			]);
			expect(outcomes[2].record).toMatchObject({
				attempts: 3,
				releases: 0,
				crashes: 0,
				token: expect.any(String),
			});
		});

		it('completes and releases an old claim without a token, and refuses a token it never gave', async () => {
			const { store, namespace } = await openSeeded();
			const [refused] = await store.complete(
				namespace,
				[{ key: 'live-claim', token: 'a-token-from-elsewhere' }],
				{ retentionMs: 86_400_000 },
			);
			expect(refused.status).toBe('lostClaim');
			const [released] = await store.release(namespace, ['live-claim'], RELEASE);
			expect(released).toMatchObject({
				status: 'released',
				record: { state: 'released', attempts: 1, releases: 1, crashes: 0 },
			});
			const [completed] = await store.complete(namespace, [{ key: 'done', result: 2 }], {
				retentionMs: 86_400_000,
			});
			expect(completed).toMatchObject({ status: 'alreadyCompleted', record: { result: 2 } });
		});

		it('lets an old claim lapse with its lease, as it did: the next claim starts afresh', async () => {
			const { store, namespace, time } = await openSeeded();
			time.advance(LEASE_MS);
			const [outcome] = await store.claim(namespace, [{ key: 'live-claim' }], LEASE);
			expect(outcome.status).toBe('claimed');
			expect(outcome.record).toMatchObject({ attempts: 1, crashes: 0 });
		});
	});
}
