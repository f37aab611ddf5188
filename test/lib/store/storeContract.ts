/**
 * The behaviour every IdempotencyStore backend must show. Each backend's test file calls
 * `describeStoreContract` with a factory; time only moves through the injected clock. Given a
 * store as `sameDataAs`, the factory opens another connection to that store's data.
 */
import { randomUUID } from 'node:crypto';

import {
	type ClaimOptions,
	type Clock,
	DEFAULT_ATTEMPTS_RETENTION_MS,
	type IdempotencyStore,
	StoreError,
} from '../../../lib/store/IdempotencyStore';
import { MAX_RESULT_BYTES } from '../../../lib/store/validation';

export const T0 = 1_750_000_000_000;
const LEASE = { leaseMs: 30_000 };
const RETENTION = { retentionMs: 86_400_000 };
const RELEASE = { maxAttempts: 3, deadLetterRetentionMs: 7 * 86_400_000 };
const WINDOW = { ttlMs: 600_000 };

export interface TestClock {
	clock: Clock;
	now: () => number;
	advance: (ms: number) => void;
}

export function testClock(start = T0): TestClock {
	let now = start;
	return { clock: () => now, now: () => now, advance: (ms) => (now += ms) };
}

export function describeStoreContract(
	name: string,
	makeStore: (clock: Clock, sameDataAs?: IdempotencyStore) => Promise<IdempotencyStore>,
	cleanup?: () => Promise<void>,
): void {
	describe(`${name} store contract`, () => {
		let time: TestClock;
		let store: IdempotencyStore;
		/** Fresh per test, so backends that keep data between tests (servers) start empty. */
		let ns: string;

		beforeEach(async () => {
			time = testClock();
			store = await makeStore(time.clock);
			ns = `contract-${randomUUID()}`;
		});
		afterEach(async () => store.close());
		if (cleanup) afterAll(cleanup);

		const claimOne = async (key: string, fingerprint?: string) =>
			(await store.claim(ns, [{ key, fingerprint }], LEASE))[0];
		const tokenOf = (record: { token?: string }) => record.token!;
		const inspectOne = async (key: string) => (await store.inspect(ns, [key]))[0];

		it('has a description for messages', () => {
			expect(store.description).toEqual(expect.any(String));
			expect(store.description.length).toBeGreaterThan(0);
		});

		describe('claim', () => {
			it('claims an absent key: inProgress, first attempt, a fencing token, lease from now', async () => {
				const outcome = await claimOne('order-1', 'fp-a');
				const leaseEnd = T0 + LEASE.leaseMs;
				expect(outcome).toEqual({
					key: 'order-1',
					status: 'claimed',
					record: {
						namespace: ns,
						key: 'order-1',
						state: 'inProgress',
						attempts: 1,
						releases: 0,
						crashes: 0,
						token: expect.stringMatching(/^[0-9a-f-]{36}$/),
						fingerprint: 'fp-a',
						claimedAt: T0,
						leaseExpiresAt: leaseEnd,
						expiresAt: leaseEnd + DEFAULT_ATTEMPTS_RETENTION_MS,
						updatedAt: T0,
					},
				});
				expect(await inspectOne('order-1')).toEqual(outcome.record);
			});

			it('answers inProgress, with the holder record, while the lease is live', async () => {
				const first = await claimOne('order-1');
				time.advance(LEASE.leaseMs - 1);
				const second = await claimOne('order-1');
				expect(second).toEqual({ key: 'order-1', status: 'inProgress', record: first.record });
			});

			it('lets the next claim win once the lease ran out, not a moment before', async () => {
				await claimOne('order-1');
				time.advance(LEASE.leaseMs - 1);
				expect((await claimOne('order-1')).status).toBe('inProgress');
				time.advance(1);
				const takeover = await claimOne('order-1');
				expect(takeover.status).toBe('claimed');
				expect(takeover.record).toMatchObject({
					state: 'inProgress',
					claimedAt: T0 + LEASE.leaseMs,
					leaseExpiresAt: T0 + 2 * LEASE.leaseMs,
				});
			});

			it('forgets a claim whose lease ran out only after the attempts retention', async () => {
				const first = await claimOne('order-1');
				time.advance(LEASE.leaseMs);
				expect(await inspectOne('order-1')).toEqual(first.record);
				time.advance(DEFAULT_ATTEMPTS_RETENTION_MS);
				expect(await inspectOne('order-1')).toBeUndefined();
				expect((await claimOne('order-1')).record).toMatchObject({ attempts: 1, crashes: 0 });
			});

			it('answers duplicate with the stored result once the key is completed', async () => {
				await claimOne('order-1');
				await store.complete(ns, [{ key: 'order-1', result: { invoiceId: 'in_1' } }], RETENTION);
				time.advance(1000);
				const outcome = await claimOne('order-1');
				expect(outcome.status).toBe('duplicate');
				expect(outcome.record).toMatchObject({
					state: 'completed',
					result: { invoiceId: 'in_1' },
					attempts: 1,
				});
			});

			it('claims a released key again and counts the attempt', async () => {
				await claimOne('order-1');
				await store.release(ns, ['order-1'], RELEASE);
				time.advance(5000);
				const outcome = await claimOne('order-1');
				expect(outcome.status).toBe('claimed');
				expect(outcome.record).toMatchObject({
					state: 'inProgress',
					attempts: 2,
					claimedAt: T0 + 5000,
					leaseExpiresAt: T0 + 5000 + LEASE.leaseMs,
				});
			});

			it('answers deadLetter for a dead-lettered key and keeps it so', async () => {
				for (let attempt = 1; attempt <= RELEASE.maxAttempts; attempt++) {
					expect((await claimOne('order-1')).status).toBe('claimed');
					await store.release(ns, ['order-1'], RELEASE);
				}
				const outcome = await claimOne('order-1');
				expect(outcome.status).toBe('deadLetter');
				expect(outcome.record).toMatchObject({
					state: 'deadLetter',
					attempts: RELEASE.maxAttempts,
				});
				expect((await inspectOne('order-1'))?.state).toBe('deadLetter');
			});

			it('answers mismatch for another fingerprint and leaves the record untouched', async () => {
				const first = await claimOne('order-1', 'fp-a');
				const outcome = await claimOne('order-1', 'fp-b');
				expect(outcome).toEqual({ key: 'order-1', status: 'mismatch', record: first.record });
				await store.complete(ns, [{ key: 'order-1', result: 1 }], RETENTION);
				const completed = await inspectOne('order-1');
				expect((await claimOne('order-1', 'fp-b')).status).toBe('mismatch');
				expect(await inspectOne('order-1')).toEqual(completed);
			});

			it('answers mismatch on a released key claimed with another fingerprint', async () => {
				await claimOne('order-1', 'fp-a');
				await store.release(ns, ['order-1'], RELEASE);
				expect((await claimOne('order-1', 'fp-b')).status).toBe('mismatch');
				expect((await inspectOne('order-1'))?.state).toBe('released');
			});

			it('compares fingerprints only when both sides have one', async () => {
				await claimOne('order-1');
				expect((await claimOne('order-1', 'fp-a')).status).toBe('inProgress');
				await claimOne('order-2', 'fp-a');
				await store.complete(ns, [{ key: 'order-2' }], RETENTION);
				expect((await claimOne('order-2')).status).toBe('duplicate');
			});

			it('handles the same key twice in one batch in order: the first copy wins', async () => {
				const outcomes = await store.claim(ns, [{ key: 'a' }, { key: 'b' }, { key: 'a' }], LEASE);
				expect(outcomes.map((outcome) => [outcome.key, outcome.status])).toEqual([
					['a', 'claimed'],
					['b', 'claimed'],
					['a', 'inProgress'],
				]);
				expect(outcomes[2].record).toEqual(outcomes[0].record);
			});

			it('judges every copy of a key in one batch by its own fingerprint', async () => {
				const outcomes = await store.claim(
					ns,
					[
						{ key: 'a', fingerprint: 'fp-1' },
						{ key: 'a', fingerprint: 'fp-2' },
						{ key: 'a', fingerprint: 'fp-1' },
					],
					LEASE,
				);
				expect(outcomes.map((outcome) => outcome.status)).toEqual([
					'claimed',
					'mismatch',
					'inProgress',
				]);
			});

			it('answers one outcome per request in input order across every status', async () => {
				await store.claim(ns, [{ key: 'live' }, { key: 'done', fingerprint: 'x' }], LEASE);
				await store.complete(ns, [{ key: 'done', result: 'ok' }], RETENTION);
				const keys = ['fresh', 'live', 'done', 'done'];
				const outcomes = await store.claim(
					ns,
					keys.map((key, position) => ({ key, fingerprint: position === 3 ? 'y' : undefined })),
					LEASE,
				);
				expect(outcomes.map((outcome) => [outcome.key, outcome.status])).toEqual([
					['fresh', 'claimed'],
					['live', 'inProgress'],
					['done', 'duplicate'],
					['done', 'mismatch'],
				]);
			});

			it('claims a batch of 1,000 keys and answers them in order', async () => {
				const keys = Array.from({ length: 1000 }, (_, index) => `event-${index}`);
				const first = await store.claim(
					ns,
					keys.map((key) => ({ key })),
					LEASE,
				);
				expect(first.map((outcome) => outcome.key)).toEqual(keys);
				expect(first.every((outcome) => outcome.status === 'claimed')).toBe(true);
				const second = await store.claim(
					ns,
					keys.map((key) => ({ key })),
					LEASE,
				);
				expect(second.every((outcome) => outcome.status === 'inProgress')).toBe(true);
			});
		});

		describe('complete', () => {
			it('completes a claimed key, stores the result and keeps it for the retention', async () => {
				await claimOne('order-1', 'fp-a');
				time.advance(2000);
				const [outcome] = await store.complete(
					ns,
					[{ key: 'order-1', result: { id: 7 } }],
					RETENTION,
				);
				expect(outcome).toEqual({
					key: 'order-1',
					status: 'completed',
					record: {
						namespace: ns,
						key: 'order-1',
						state: 'completed',
						attempts: 1,
						releases: 0,
						crashes: 0,
						token: expect.any(String),
						fingerprint: 'fp-a',
						result: { id: 7 },
						claimedAt: T0,
						completedAt: T0 + 2000,
						expiresAt: T0 + 2000 + RETENTION.retentionMs,
						updatedAt: T0 + 2000,
					},
				});
				expect(await inspectOne('order-1')).toEqual(outcome.record);
			});

			it('answers alreadyCompleted for a completed key', async () => {
				await claimOne('order-1');
				await store.complete(ns, [{ key: 'order-1', result: 1 }], RETENTION);
				const [outcome] = await store.complete(ns, [{ key: 'order-1', result: 1 }], RETENTION);
				expect(outcome.status).toBe('alreadyCompleted');
				expect(outcome.record.state).toBe('completed');
			});

			it('answers notClaimed for an absent key but still records it as completed', async () => {
				const [outcome] = await store.complete(ns, [{ key: 'order-1', result: 'done' }], RETENTION);
				expect(outcome.status).toBe('notClaimed');
				expect(outcome.record).toMatchObject({ state: 'completed', attempts: 0, result: 'done' });
				expect((await claimOne('order-1')).status).toBe('duplicate');
			});

			it('answers notClaimed for a released key and records it as completed', async () => {
				await claimOne('order-1');
				await store.release(ns, ['order-1'], RELEASE);
				const [outcome] = await store.complete(ns, [{ key: 'order-1' }], RETENTION);
				expect(outcome.status).toBe('notClaimed');
				expect(outcome.record).toMatchObject({ state: 'completed', attempts: 1 });
			});

			it('answers notClaimed once the lease ran out before completing', async () => {
				await claimOne('order-1');
				time.advance(LEASE.leaseMs);
				const [outcome] = await store.complete(ns, [{ key: 'order-1' }], RETENTION);
				expect(outcome.status).toBe('notClaimed');
			});

			it('forgets a completed key after the retention', async () => {
				await claimOne('order-1');
				await store.complete(ns, [{ key: 'order-1' }], RETENTION);
				time.advance(RETENTION.retentionMs - 1);
				expect((await claimOne('order-1')).status).toBe('duplicate');
				time.advance(1);
				expect(await inspectOne('order-1')).toBeUndefined();
				expect((await claimOne('order-1')).status).toBe('claimed');
			});

			it('stores any JSON value as the result, and no result when none is given', async () => {
				const results = [
					{ nested: { list: [1, 'two', null] } },
					['a'],
					'text',
					42,
					0,
					false,
					null,
					'ünïcödé ✓',
				];
				const keys = results.map((_, index) => `r${index}`);
				await store.complete(
					ns,
					results.map((result, index) => ({ key: keys[index], result })),
					RETENTION,
				);
				await store.complete(ns, [{ key: 'none' }], RETENTION);
				const records = await store.inspect(ns, [...keys, 'none']);
				expect(records.slice(0, results.length).map((record) => record?.result)).toEqual(results);
				expect(records[results.length]).not.toHaveProperty('result');
			});

			it('refuses a result over 64 KB and writes nothing of the batch', async () => {
				await claimOne('small');
				const error = await store
					.complete(
						ns,
						[
							{ key: 'small', result: 1 },
							{ key: 'big', result: 'x'.repeat(MAX_RESULT_BYTES - 1) },
						],
						RETENTION,
					)
					.catch((caught: unknown) => caught);
				expect(error).toBeInstanceOf(StoreError);
				expect(error).toMatchObject({
					reason: 'invalidKey',
					message: expect.stringMatching(/position 1 is 65537 bytes as JSON.*up to 65536 bytes/),
				});
				expect((await inspectOne('small'))?.state).toBe('inProgress');
			});

			it('refuses a result that is not JSON', async () => {
				await expect(
					store.complete(ns, [{ key: 'k', result: 10n }], RETENTION),
				).rejects.toMatchObject({
					reason: 'invalidKey',
					message: expect.stringContaining('cannot be stored as JSON'),
				});
			});
		});

		describe('release', () => {
			it('releases a claimed key: attempts kept, kept as long as a dead letter', async () => {
				await claimOne('order-1', 'fp-a');
				time.advance(1000);
				const [outcome] = await store.release(ns, ['order-1'], RELEASE);
				expect(outcome).toEqual({
					key: 'order-1',
					status: 'released',
					record: {
						namespace: ns,
						key: 'order-1',
						state: 'released',
						attempts: 1,
						releases: 1,
						crashes: 0,
						token: expect.any(String),
						fingerprint: 'fp-a',
						claimedAt: T0,
						expiresAt: T0 + 1000 + RELEASE.deadLetterRetentionMs,
						updatedAt: T0 + 1000,
					},
				});
				time.advance(LEASE.leaseMs * 10);
				expect((await claimOne('order-1')).record.attempts).toBe(2);
			});

			it('dead-letters the key at the release after maxAttempts claims', async () => {
				const statuses: string[] = [];
				for (let attempt = 1; attempt <= RELEASE.maxAttempts; attempt++) {
					await claimOne('order-1');
					statuses.push((await store.release(ns, ['order-1'], RELEASE))[0].status);
				}
				expect(statuses).toEqual(['released', 'released', 'deadLettered']);
				expect(await inspectOne('order-1')).toMatchObject({
					state: 'deadLetter',
					attempts: 3,
					completedAt: T0,
					expiresAt: T0 + RELEASE.deadLetterRetentionMs,
				});
			});

			it('dead-letters at once with maxAttempts 1', async () => {
				await claimOne('order-1');
				const [outcome] = await store.release(ns, ['order-1'], { ...RELEASE, maxAttempts: 1 });
				expect(outcome.status).toBe('deadLettered');
			});

			it('lets a dead letter go after its retention', async () => {
				await claimOne('order-1');
				await store.release(ns, ['order-1'], { ...RELEASE, maxAttempts: 1 });
				time.advance(RELEASE.deadLetterRetentionMs - 1);
				expect((await claimOne('order-1')).status).toBe('deadLetter');
				time.advance(1);
				const outcome = await claimOne('order-1');
				expect(outcome.status).toBe('claimed');
				expect(outcome.record.attempts).toBe(1);
			});

			it('answers notClaimed for an absent key and writes nothing', async () => {
				const [outcome] = await store.release(ns, ['order-1'], RELEASE);
				expect(outcome.status).toBe('notClaimed');
				expect(outcome.record).toBeUndefined();
				expect(await inspectOne('order-1')).toBeUndefined();
			});

			it('answers notClaimed, with the record as found, for completed and released keys', async () => {
				await store.claim(ns, [{ key: 'done' }, { key: 'again' }], LEASE);
				await store.complete(ns, [{ key: 'done' }], RETENTION);
				await store.release(ns, ['again'], RELEASE);
				const before = await store.inspect(ns, ['done', 'again']);
				time.advance(10);
				const outcomes = await store.release(ns, ['done', 'again'], RELEASE);
				expect(outcomes.map((outcome) => outcome.status)).toEqual(['notClaimed', 'notClaimed']);
				expect(outcomes.map((outcome) => outcome.record)).toEqual(before);
				expect(await store.inspect(ns, ['done', 'again'])).toEqual(before);
			});

			it('answers notClaimed once the lease ran out', async () => {
				await claimOne('order-1');
				time.advance(LEASE.leaseMs);
				expect((await store.release(ns, ['order-1'], RELEASE))[0].status).toBe('notClaimed');
			});

			it('handles the same key twice in one batch in order', async () => {
				await claimOne('order-1');
				const outcomes = await store.release(ns, ['order-1', 'order-1'], RELEASE);
				expect(outcomes.map((outcome) => outcome.status)).toEqual(['released', 'notClaimed']);
			});
		});

		describe('fencing tokens', () => {
			const completeWith = async (key: string, token?: string, result?: unknown) =>
				(await store.complete(ns, [{ key, token, result }], RETENTION))[0];
			const releaseWith = async (key: string, token?: string) =>
				(await store.release(ns, [{ key, token }], RELEASE))[0];

			it('gives every granted claim its own token, a takeover of the same key too', async () => {
				const [a, b] = await store.claim(ns, [{ key: 'a' }, { key: 'b' }], LEASE);
				time.advance(LEASE.leaseMs);
				const takeover = await claimOne('a');
				const tokens = [a, b, takeover].map((outcome) => tokenOf(outcome.record));
				expect(new Set(tokens).size).toBe(3);
				expect((await claimOne('a')).record.token).toBe(tokenOf(takeover.record));
			});

			it('completes the key for the claim holding the token and keeps the token', async () => {
				const claimed = await claimOne('order-1');
				const outcome = await completeWith('order-1', tokenOf(claimed.record), 'done');
				expect(outcome.status).toBe('completed');
				expect(outcome.record).toMatchObject({ state: 'completed', token: claimed.record.token });
				expect((await completeWith('order-1', tokenOf(claimed.record))).status).toBe(
					'alreadyCompleted',
				);
			});

			it('refuses complete and release with another token: lostClaim, nothing written', async () => {
				const claimed = await claimOne('order-1');
				const stranger = '00000000-0000-4000-8000-000000000000';
				const completed = await completeWith('order-1', stranger, 'not mine');
				const released = await releaseWith('order-1', stranger);
				expect([completed.status, released.status]).toEqual(['lostClaim', 'lostClaim']);
				expect(completed.record).toEqual(claimed.record);
				expect(released.record).toEqual(claimed.record);
				expect(await inspectOne('order-1')).toEqual(claimed.record);
			});

			it('never lets a run overtaken after its lease complete or release the newer claim', async () => {
				const overtaken = await claimOne('order-1');
				time.advance(LEASE.leaseMs);
				const newer = await claimOne('order-1');
				const late = tokenOf(overtaken.record);

				expect((await completeWith('order-1', late, 'late')).status).toBe('lostClaim');
				expect((await releaseWith('order-1', late)).status).toBe('lostClaim');
				expect(await inspectOne('order-1')).toEqual(newer.record);

				expect((await completeWith('order-1', tokenOf(newer.record), 'on time')).status).toBe(
					'completed',
				);
				const finished = await inspectOne('order-1');
				expect((await completeWith('order-1', late, 'late')).status).toBe('lostClaim');
				expect((await releaseWith('order-1', late)).status).toBe('lostClaim');
				expect(await inspectOne('order-1')).toEqual(finished);
				expect(finished?.result).toBe('on time');
			});

			it('gives a lapsed key to exactly one of many concurrent claimers, with a new token; the old token is refused', async () => {
				const peers = [
					store,
					...(await Promise.all([1, 2, 3].map(async () => await makeStore(time.clock, store)))),
				];
				try {
					const first = await claimOne('hot');
					time.advance(LEASE.leaseMs);
					const outcomes = (
						await Promise.all(
							Array.from(
								{ length: 12 },
								async (_, index) =>
									await peers[index % peers.length].claim(ns, [{ key: 'hot' }], LEASE),
							),
						)
					).map(([outcome]) => outcome);
					const winners = outcomes.filter((outcome) => outcome.status === 'claimed');
					expect(winners).toHaveLength(1);
					expect(outcomes.filter((outcome) => outcome.status !== 'claimed')).toEqual(
						Array.from({ length: 11 }, () => expect.objectContaining({ status: 'inProgress' })),
					);
					const newToken = tokenOf(winners[0].record);
					expect(newToken).not.toBe(first.record.token);
					expect(winners[0].record).toMatchObject({ attempts: 2, crashes: 1 });
					expect((await completeWith('hot', first.record.token)).status).toBe('lostClaim');
					expect((await completeWith('hot', newToken)).status).toBe('completed');
				} finally {
					await Promise.all(peers.slice(1).map(async (peer) => await peer.close()));
				}
			});

			it('lets the holder finish after its lease ran out while no other claim took the key', async () => {
				const claimed = await claimOne('order-1');
				time.advance(LEASE.leaseMs + 1000);
				expect((await completeWith('order-1', tokenOf(claimed.record))).status).toBe('completed');
				const again = await claimOne('order-2');
				time.advance(LEASE.leaseMs);
				expect((await releaseWith('order-2', tokenOf(again.record))).status).toBe('released');
			});

			it('releases with the token once; the same token then answers notClaimed', async () => {
				const claimed = await claimOne('order-1');
				const token = tokenOf(claimed.record);
				expect((await releaseWith('order-1', token)).status).toBe('released');
				const released = await inspectOne('order-1');
				expect((await releaseWith('order-1', token)).status).toBe('notClaimed');
				expect(await inspectOne('order-1')).toEqual(released);
				const reclaimed = await claimOne('order-1');
				expect(reclaimed.record.token).not.toBe(token);
				expect((await completeWith('order-1', token)).status).toBe('lostClaim');
			});

			it('keeps tokenless complete and release as they were: they act on whoever holds the key', async () => {
				await claimOne('a');
				await claimOne('b');
				expect((await completeWith('a')).status).toBe('completed');
				expect((await store.release(ns, ['b'], RELEASE))[0].status).toBe('released');
				time.advance(LEASE.leaseMs);
				await claimOne('c');
				time.advance(LEASE.leaseMs);
				expect((await store.release(ns, ['c'], RELEASE))[0].status).toBe('notClaimed');
				expect((await completeWith('c')).status).toBe('notClaimed');
			});

			it('takes bare keys and token requests in one release batch, in order', async () => {
				const [a] = await store.claim(ns, [{ key: 'a' }, { key: 'b' }], LEASE);
				const outcomes = await store.release(
					ns,
					[{ key: 'a', token: tokenOf(a.record) }, 'b', { key: 'a', token: tokenOf(a.record) }],
					RELEASE,
				);
				expect(outcomes.map((outcome) => outcome.status)).toEqual([
					'released',
					'released',
					'notClaimed',
				]);
			});

			it('refuses a token that is not text before writing anything', async () => {
				await claimOne('fine');
				await expect(
					store.complete(ns, [{ key: 'fine' }, { key: 'k', token: 'a\u0000b' }], RETENTION),
				).rejects.toMatchObject({
					reason: 'invalidKey',
					message: expect.stringMatching(/^The fencing token at position 1 contains a NUL/),
				});
				await expect(
					store.release(ns, [{ key: 'fine', token: 42 as unknown as string }], RELEASE),
				).rejects.toMatchObject({ reason: 'invalidKey' });
				expect((await inspectOne('fine'))?.state).toBe('inProgress');
			});
		});

		describe('re-entrant claims (a re-run holding its token)', () => {
			const claimHolding = async (key: string, token: string, options: ClaimOptions = LEASE) =>
				(await store.claim(ns, [{ key, token }], options))[0];

			it('grants the holder its live claim again: same token, lease from now, no attempt counted', async () => {
				const claimed = await claimOne('order-1');
				time.advance(5000);
				const again = await claimHolding('order-1', tokenOf(claimed.record));
				expect(again).toEqual({
					key: 'order-1',
					status: 'claimed',
					record: {
						...claimed.record,
						leaseExpiresAt: T0 + 5000 + LEASE.leaseMs,
						expiresAt: T0 + 5000 + LEASE.leaseMs + DEFAULT_ATTEMPTS_RETENTION_MS,
						updatedAt: T0 + 5000,
					},
				});
				expect(await inspectOne('order-1')).toEqual(again.record);
				time.advance(LEASE.leaseMs - 1);
				expect((await claimOne('order-1')).status).toBe('inProgress');
			});

			it('grants a lapsed claim again while no other claim took it: no crash, not even at Max Attempts', async () => {
				const claimed = await claimOne('order-1');
				time.advance(LEASE.leaseMs + 1000);
				const again = await claimHolding('order-1', tokenOf(claimed.record), {
					...LEASE,
					maxAttempts: 1,
				});
				expect(again.status).toBe('claimed');
				expect(again.record).toMatchObject({
					attempts: 1,
					crashes: 0,
					token: claimed.record.token,
				});
				expect(
					(
						await store.complete(ns, [{ key: 'order-1', token: claimed.record.token }], RETENTION)
					)[0].status,
				).toBe('completed');
			});

			it('answers a re-run of a finished claim duplicate, of a dead-lettered one deadLetter', async () => {
				const [done, parked] = await store.claim(ns, [{ key: 'done' }, { key: 'parked' }], LEASE);
				await store.complete(ns, [{ key: 'done', token: tokenOf(done.record) }], RETENTION);
				await store.release(ns, [{ key: 'parked', token: tokenOf(parked.record) }], {
					...RELEASE,
					maxAttempts: 1,
				});
				const before = await store.inspect(ns, ['done', 'parked']);
				const outcomes = await store.claim(
					ns,
					[
						{ key: 'done', token: tokenOf(done.record) },
						{ key: 'parked', token: tokenOf(parked.record) },
					],
					LEASE,
				);
				expect(outcomes.map((outcome) => outcome.status)).toEqual(['duplicate', 'deadLetter']);
				expect(await store.inspect(ns, ['done', 'parked'])).toEqual(before);
			});

			it('leaves a key taken over by another claim to it: inProgress, nothing written', async () => {
				const overtaken = await claimOne('order-1');
				time.advance(LEASE.leaseMs);
				const newer = await claimOne('order-1');
				const late = await claimHolding('order-1', tokenOf(overtaken.record));
				expect(late).toEqual({ key: 'order-1', status: 'inProgress', record: newer.record });
				expect(await inspectOne('order-1')).toEqual(newer.record);
			});

			it('claims a released or absent key anew, with a new token', async () => {
				const claimed = await claimOne('order-1');
				const token = tokenOf(claimed.record);
				await store.release(ns, [{ key: 'order-1', token }], RELEASE);
				const outcomes = await store.claim(
					ns,
					[
						{ key: 'order-1', token },
						{ key: 'never', token },
					],
					LEASE,
				);
				expect(outcomes.map((outcome) => outcome.status)).toEqual(['claimed', 'claimed']);
				expect(outcomes[0].record).toMatchObject({ attempts: 2, releases: 1 });
				expect(outcomes[1].record).toMatchObject({ attempts: 1 });
				const tokens = outcomes.map((outcome) => tokenOf(outcome.record));
				expect(new Set([token, ...tokens]).size).toBe(3);
			});

			it('handles the holder and a stranger in one batch in order', async () => {
				const claimed = await claimOne('a');
				const token = tokenOf(claimed.record);
				const outcomes = await store.claim(
					ns,
					[{ key: 'a', token }, { key: 'a' }, { key: 'a', token }],
					LEASE,
				);
				expect(outcomes.map((outcome) => [outcome.status, outcome.record.token])).toEqual([
					['claimed', token],
					['inProgress', token],
					['claimed', token],
				]);
				expect((await inspectOne('a'))?.attempts).toBe(1);
			});

			it('refuses a token that is not text before writing anything', async () => {
				await expect(
					store.claim(ns, [{ key: 'fine' }, { key: 'k', token: 'a\u0000b' }], LEASE),
				).rejects.toMatchObject({
					reason: 'invalidKey',
					message: expect.stringMatching(/^The fencing token at position 1 contains a NUL/),
				});
				expect(await inspectOne('fine')).toBeUndefined();
			});
		});

		describe('crashes', () => {
			const CRASH_LIMIT = { ...LEASE, maxAttempts: 3, deadLetterRetentionMs: 86_400_000 };
			const claimCounting = async (key: string) =>
				(await store.claim(ns, [{ key }], CRASH_LIMIT))[0];

			it('counts the takeover of a lapsed lease as a crash, apart from releases', async () => {
				await claimOne('order-1');
				await store.release(ns, ['order-1'], RELEASE);
				await claimOne('order-1');
				time.advance(LEASE.leaseMs);
				const takeover = await claimOne('order-1');
				expect(takeover.status).toBe('claimed');
				expect(takeover.record).toMatchObject({ attempts: 3, releases: 1, crashes: 1 });
				expect(await inspectOne('order-1')).toMatchObject({ releases: 1, crashes: 1 });
				await store.complete(ns, [{ key: 'order-1' }], RETENTION);
				expect(await inspectOne('order-1')).toMatchObject({
					state: 'completed',
					attempts: 3,
					releases: 1,
					crashes: 1,
				});
			});

			it('dead-letters a key at the takeover after maxAttempts claims lost to crashes', async () => {
				const statuses: string[] = [];
				for (let claim = 1; claim <= CRASH_LIMIT.maxAttempts + 1; claim++) {
					statuses.push((await claimCounting('poison')).status);
					time.advance(LEASE.leaseMs);
				}
				expect(statuses).toEqual(['claimed', 'claimed', 'claimed', 'deadLetter']);
				const deadAt = T0 + CRASH_LIMIT.maxAttempts * LEASE.leaseMs;
				expect(await inspectOne('poison')).toMatchObject({
					state: 'deadLetter',
					attempts: 3,
					releases: 0,
					crashes: 3,
					completedAt: deadAt,
					expiresAt: deadAt + CRASH_LIMIT.deadLetterRetentionMs,
				});
				expect((await claimCounting('poison')).status).toBe('deadLetter');
				expect((await inspectOne('poison'))?.crashes).toBe(3);
			});

			it('counts crashes and releases together against maxAttempts', async () => {
				await claimCounting('mixed');
				await store.release(ns, ['mixed'], RELEASE);
				await claimCounting('mixed');
				time.advance(LEASE.leaseMs);
				await claimCounting('mixed');
				const [released] = await store.release(ns, ['mixed'], RELEASE);
				expect(released.status).toBe('deadLettered');
				expect(released.record).toMatchObject({ attempts: 3, releases: 2, crashes: 1 });
			});

			it('lets a key dead-lettered by crashes go after its retention', async () => {
				for (let claim = 1; claim <= CRASH_LIMIT.maxAttempts + 1; claim++) {
					await claimCounting('poison');
					time.advance(LEASE.leaseMs);
				}
				time.advance(CRASH_LIMIT.deadLetterRetentionMs);
				const outcome = await claimCounting('poison');
				expect(outcome.status).toBe('claimed');
				expect(outcome.record).toMatchObject({ attempts: 1, crashes: 0 });
			});

			it('claims a lapsed key when no maxAttempts is given, however many crashes', async () => {
				for (let claim = 1; claim <= 5; claim++) {
					expect((await claimOne('order-1')).status).toBe('claimed');
					time.advance(LEASE.leaseMs);
				}
				expect(await inspectOne('order-1')).toMatchObject({ attempts: 5, crashes: 4 });
			});
		});

		it('answers how many unexpired entries a size bound evicted: none for these few keys', async () => {
			await store.claim(ns, [{ key: 'a' }, { key: 'b' }], LEASE);
			expect(await store.evictions()).toBe(0);
		});

		describe('markSeen', () => {
			it('records a new key as completed for the window: first seen only once', async () => {
				const [first] = await store.markSeen(ns, ['evt_1'], WINDOW);
				expect(first).toEqual({
					key: 'evt_1',
					firstSeen: true,
					record: {
						namespace: ns,
						key: 'evt_1',
						state: 'completed',
						attempts: 0,
						releases: 0,
						crashes: 0,
						completedAt: T0,
						expiresAt: T0 + WINDOW.ttlMs,
						updatedAt: T0,
					},
				});
				time.advance(WINDOW.ttlMs - 1);
				const [again] = await store.markSeen(ns, ['evt_1'], WINDOW);
				expect(again).toEqual({ key: 'evt_1', firstSeen: false, record: first.record });
			});

			it('sees the key as new again once the window passed', async () => {
				await store.markSeen(ns, ['evt_1'], WINDOW);
				time.advance(WINDOW.ttlMs);
				const [outcome] = await store.markSeen(ns, ['evt_1'], WINDOW);
				expect(outcome.firstSeen).toBe(true);
				expect(outcome.record.expiresAt).toBe(T0 + 2 * WINDOW.ttlMs);
			});

			it('reports the second copy of a key in one batch as seen', async () => {
				const outcomes = await store.markSeen(ns, ['evt_1', 'evt_2', 'evt_1'], WINDOW);
				expect(outcomes.map((outcome) => outcome.firstSeen)).toEqual([true, true, false]);
			});

			it('leaves a live claim alone and shares keys with claim', async () => {
				await claimOne('claimed');
				const [outcome] = await store.markSeen(ns, ['claimed'], WINDOW);
				expect(outcome.firstSeen).toBe(false);
				expect(outcome.record.state).toBe('inProgress');
				await store.markSeen(ns, ['seen'], WINDOW);
				expect((await claimOne('seen')).status).toBe('duplicate');
			});
		});

		describe('inspect and forget', () => {
			it('answers records in input order and undefined for absent keys', async () => {
				await store.claim(ns, [{ key: 'a' }, { key: 'b' }], LEASE);
				const records = await store.inspect(ns, ['b', 'missing', 'a']);
				expect(records.map((record) => record?.key)).toEqual(['b', undefined, 'a']);
			});

			it('reads an expired record as absent', async () => {
				await store.markSeen(ns, ['evt_1'], WINDOW);
				time.advance(WINDOW.ttlMs);
				expect(await store.inspect(ns, ['evt_1'])).toEqual([undefined]);
			});

			it('forgets keys, answering how many existed', async () => {
				await store.claim(ns, [{ key: 'a' }, { key: 'b' }], LEASE);
				await store.complete(ns, [{ key: 'b' }], RETENTION);
				expect(await store.forget(ns, ['a', 'b', 'missing', 'a'])).toBe(2);
				expect(await store.inspect(ns, ['a', 'b'])).toEqual([undefined, undefined]);
				const outcome = await claimOne('b');
				expect(outcome.status).toBe('claimed');
				expect(outcome.record.attempts).toBe(1);
			});

			it('does not count expired records as existing', async () => {
				await store.markSeen(ns, ['evt_1'], WINDOW);
				time.advance(WINDOW.ttlMs);
				expect(await store.forget(ns, ['evt_1'])).toBe(0);
			});
		});

		describe('requeue', () => {
			const deadLetterOf = async (key: string) => {
				await claimOne(key);
				await store.release(ns, [key], { ...RELEASE, maxAttempts: 1 });
				return (await inspectOne(key))!;
			};

			it('releases a dead letter with attempts 0 and its history kept; the next claim runs it', async () => {
				const dead = await deadLetterOf('order-1');
				expect(dead).toMatchObject({ state: 'deadLetter', attempts: 1, releases: 1 });
				time.advance(1000);
				const [requeued] = await store.requeue(ns, ['order-1']);
				const { completedAt: _completedAt, ...kept } = dead;
				expect(requeued).toEqual({ ...kept, state: 'released', attempts: 0, updatedAt: T0 + 1000 });
				expect(await inspectOne('order-1')).toEqual(requeued);
				const claimed = await store.claim(ns, [{ key: 'order-1' }], { ...LEASE, maxAttempts: 1 });
				expect(claimed[0]).toMatchObject({
					status: 'claimed',
					record: { attempts: 1, releases: 1, crashes: 0 },
				});
			});

			it('leaves every other state alone and answers it as found, undefined when absent', async () => {
				await claimOne('held');
				await store.complete(ns, [{ key: 'done' }], RETENTION);
				await claimOne('given-back');
				await store.release(ns, ['given-back'], RELEASE);
				const before = await store.inspect(ns, ['held', 'done', 'given-back']);
				time.advance(1000);
				expect(await store.requeue(ns, ['held', 'done', 'given-back', 'missing'])).toEqual([
					...before,
					undefined,
				]);
				expect(await store.inspect(ns, ['held', 'done', 'given-back'])).toEqual(before);
			});

			it('requeues a key given twice once: the second copy finds it released', async () => {
				await deadLetterOf('order-1');
				const [first, second] = await store.requeue(ns, ['order-1', 'order-1']);
				expect(first).toMatchObject({ state: 'released', attempts: 0 });
				expect(second).toEqual(first);
			});

			it('refuses an empty key before writing anything', async () => {
				await deadLetterOf('order-1');
				await expect(store.requeue(ns, ['order-1', ''])).rejects.toMatchObject({
					reason: 'invalidKey',
				});
				expect((await inspectOne('order-1'))?.state).toBe('deadLetter');
			});
		});

		describe('listKeys', () => {
			const seed = async () => {
				await store.claim(ns, [{ key: 'b' }, { key: 'a' }, { key: 'c' }, { key: 'é' }], LEASE);
				time.advance(1000);
				await store.complete(ns, [{ key: 'a' }], RETENTION);
				await store.release(ns, ['c'], RELEASE);
				await store.markSeen(ns, ['z'], WINDOW);
			};
			const keysOf = (page: { records: Array<{ key: string }> }) =>
				page.records.map((record) => record.key);

			it('lists live records by key in UTF-8 byte order, with the records inspect answers', async () => {
				await seed();
				const page = await store.listKeys(ns, { limit: 10 });
				expect(keysOf(page)).toEqual(['a', 'b', 'c', 'z', 'é']);
				expect(page.records).toEqual(await store.inspect(ns, keysOf(page)));
				expect(page.next).toBeUndefined();
			});

			it('pages with next', async () => {
				await seed();
				const first = await store.listKeys(ns, { limit: 2 });
				expect(keysOf(first)).toEqual(['a', 'b']);
				expect(first.next).toBe('b');
				const second = await store.listKeys(ns, { limit: 3, after: first.next });
				expect(keysOf(second)).toEqual(['c', 'z', 'é']);
				expect(second.next).toBeUndefined();
			});

			it('filters by state and by update time', async () => {
				await seed();
				expect(keysOf(await store.listKeys(ns, { limit: 10, states: ['inProgress'] }))).toEqual([
					'b',
					'é',
				]);
				expect(
					keysOf(await store.listKeys(ns, { limit: 10, states: ['completed', 'released'] })),
				).toEqual(['a', 'c', 'z']);
				expect(keysOf(await store.listKeys(ns, { limit: 10, updatedSince: T0 + 1 }))).toEqual([
					'a',
					'c',
					'z',
				]);
				const filtered = await store.listKeys(ns, { limit: 1, states: ['inProgress'] });
				expect(keysOf(filtered)).toEqual(['b']);
				expect(
					keysOf(
						await store.listKeys(ns, { limit: 1, states: ['inProgress'], after: filtered.next }),
					),
				).toEqual(['é']);
			});

			it('leaves out expired records and other namespaces', async () => {
				await seed();
				await store.markSeen(`${ns}-other`, ['a'], WINDOW);
				time.advance(WINDOW.ttlMs);
				expect(keysOf(await store.listKeys(ns, { limit: 10 }))).toEqual(['a', 'b', 'c', 'é']);
			});

			it('refuses a limit out of range and an unknown state', async () => {
				await expect(store.listKeys(ns, { limit: 0 })).rejects.toMatchObject({
					reason: 'invalidConfig',
				});
				await expect(
					store.listKeys(ns, { limit: 1, states: ['gone' as 'completed'] }),
				).rejects.toMatchObject({ reason: 'invalidConfig', message: /Unknown key state "gone"/ });
			});
		});

		describe('ordering guard (versions)', () => {
			const VERSION_RETENTION = { retentionMs: 86_400_000 };
			const record = async (...pairs: Array<[string, number]>) =>
				await store.recordVersions(
					ns,
					pairs.map(([entity, version]) => ({ entity, version })),
					VERSION_RETENTION,
				);

			it('records the first version of an entity and reads it back', async () => {
				expect(await record(['cus_1', 5])).toEqual([{ entity: 'cus_1', applied: true, latest: 5 }]);
				expect(await store.readVersions(ns, ['cus_1', 'cus_2'])).toEqual([5, undefined]);
			});

			it('raises the version to a newer one', async () => {
				await record(['cus_1', 5]);
				expect(await record(['cus_1', 9])).toEqual([{ entity: 'cus_1', applied: true, latest: 9 }]);
				expect(await store.readVersions(ns, ['cus_1'])).toEqual([9]);
			});

			it('never lowers the version: an older one is not applied and answers the newest', async () => {
				await record(['cus_1', 9]);
				expect(await record(['cus_1', 5])).toEqual([
					{ entity: 'cus_1', applied: false, latest: 9 },
				]);
				expect(await store.readVersions(ns, ['cus_1'])).toEqual([9]);
			});

			it('does not apply an equal version and keeps its expiry from the last raise', async () => {
				await record(['cus_1', 9]);
				time.advance(1000);
				expect(await record(['cus_1', 9])).toEqual([
					{ entity: 'cus_1', applied: false, latest: 9 },
				]);
				time.advance(VERSION_RETENTION.retentionMs - 1000);
				expect(await store.readVersions(ns, ['cus_1'])).toEqual([undefined]);
			});

			it('keeps epoch-millisecond timestamps and fractions exact', async () => {
				const versions = [1_750_000_000_123, 1.5, -3, 2 ** 53];
				await record(...versions.map((version, index): [string, number] => [`e${index}`, version]));
				expect(await store.readVersions(ns, ['e0', 'e1', 'e2', 'e3'])).toEqual(versions);
				expect((await record(['e0', 1_750_000_000_124]))[0].applied).toBe(true);
				expect((await record(['e1', 1.25]))[0]).toEqual({
					entity: 'e1',
					applied: false,
					latest: 1.5,
				});
			});

			it('handles the same entity several times in one batch in order', async () => {
				await record(['b', 4]);
				const outcomes = await record(['a', 3], ['a', 2], ['b', 5], ['a', 7], ['b', 1], ['a', 7]);
				expect(outcomes.map(({ entity, applied, latest }) => [entity, applied, latest])).toEqual([
					['a', true, 3],
					['a', false, 3],
					['b', true, 5],
					['a', true, 7],
					['b', false, 5],
					['a', false, 7],
				]);
				expect(await store.readVersions(ns, ['a', 'b', 'a'])).toEqual([7, 5, 7]);
			});

			it('forgets a version retentionMs after its last raise, then accepts any version', async () => {
				await record(['cus_1', 5]);
				time.advance(1000);
				await record(['cus_1', 6]);
				time.advance(VERSION_RETENTION.retentionMs - 1);
				expect(await store.readVersions(ns, ['cus_1'])).toEqual([6]);
				expect((await record(['cus_1', 1]))[0].applied).toBe(false);
				time.advance(1);
				expect(await store.readVersions(ns, ['cus_1'])).toEqual([undefined]);
				expect(await record(['cus_1', 1])).toEqual([{ entity: 'cus_1', applied: true, latest: 1 }]);
			});

			it('keeps namespaces apart', async () => {
				const other = `${ns}-other`;
				await record(['cus_1', 9]);
				expect(await store.readVersions(other, ['cus_1'])).toEqual([undefined]);
				const [outcome] = await store.recordVersions(
					other,
					[{ entity: 'cus_1', version: 2 }],
					VERSION_RETENTION,
				);
				expect(outcome.applied).toBe(true);
				expect(await store.readVersions(ns, ['cus_1'])).toEqual([9]);
			});

			it('keeps versions apart from keys of the same name', async () => {
				await record(['order-1', 5]);
				expect(await inspectOne('order-1')).toBeUndefined();
				expect((await claimOne('order-1')).status).toBe('claimed');
				await store.complete(ns, [{ key: 'order-1' }], RETENTION);
				expect(await store.forget(ns, ['order-1'])).toBe(1);
				expect(await store.readVersions(ns, ['order-1'])).toEqual([5]);
			});

			it('ends at the highest version when several connections raise one entity at once', async () => {
				const peers = [
					store,
					...(await Promise.all([1, 2, 3].map(async () => await makeStore(time.clock, store)))),
				];
				try {
					const versions = Array.from({ length: 40 }, (_, index) => ((index * 17) % 40) + 1);
					const outcomes = await Promise.all(
						versions.map(
							async (version, index) =>
								(
									await peers[index % peers.length].recordVersions(
										ns,
										[{ entity: 'hot', version }],
										VERSION_RETENTION,
									)
								)[0],
						),
					);
					expect(await store.readVersions(ns, ['hot'])).toEqual([40]);
					expect(outcomes[versions.indexOf(40)]).toEqual({
						entity: 'hot',
						applied: true,
						latest: 40,
					});
					// The versions are distinct: an applied one is the newest, any other met a newer one.
					expect(
						outcomes.every((outcome, index) =>
							outcome.applied
								? outcome.latest === versions[index]
								: outcome.latest > versions[index],
						),
					).toBe(true);
				} finally {
					await Promise.all(peers.slice(1).map(async (peer) => await peer.close()));
				}
			});

			it('refuses a version that is not a finite number, writing nothing', async () => {
				for (const version of [
					Number.NaN,
					Infinity,
					'5' as unknown as number,
					undefined as unknown as number,
				]) {
					const error = await store
						.recordVersions(
							ns,
							[
								{ entity: 'fine', version: 1 },
								{ entity: 'e', version },
							],
							VERSION_RETENTION,
						)
						.catch((caught: unknown) => caught);
					expect(error).toBeInstanceOf(StoreError);
					expect(error).toMatchObject({
						reason: 'invalidKey',
						message: expect.stringMatching(
							/^The version at position 1 must be a finite number, got /,
						),
					});
				}
				expect(await store.readVersions(ns, ['fine'])).toEqual([undefined]);
			});

			it('refuses an empty entity like an empty key', async () => {
				await expect(record(['fine', 1], ['', 2])).rejects.toMatchObject({
					reason: 'invalidKey',
					message: 'The entity at position 1 is empty: every item needs a non-empty entity',
				});
				await expect(store.readVersions(ns, ['a\u0000b'])).rejects.toMatchObject({
					reason: 'invalidKey',
					message: /entity at position 0 contains a NUL character/,
				});
				await expect(
					store.recordVersions(ns, [{ entity: 'e', version: 1 }], { retentionMs: 0 }),
				).rejects.toMatchObject({ reason: 'invalidConfig' });
			});

			it('answers empty batches with nothing', async () => {
				expect(await store.recordVersions(ns, [], VERSION_RETENTION)).toEqual([]);
				expect(await store.readVersions(ns, [])).toEqual([]);
			});
		});

		describe('namespaces', () => {
			it('keeps the same key apart in two namespaces', async () => {
				const other = `${ns}-other`;
				await claimOne('shared');
				await store.complete(ns, [{ key: 'shared', result: 'mine' }], RETENTION);
				expect((await store.claim(other, [{ key: 'shared' }], LEASE))[0].status).toBe('claimed');
				expect((await store.markSeen(other, ['seen'], WINDOW))[0].firstSeen).toBe(true);
				expect((await store.markSeen(ns, ['seen'], WINDOW))[0].firstSeen).toBe(true);
				expect(await store.forget(other, ['shared'])).toBe(1);
				expect((await inspectOne('shared'))?.result).toBe('mine');
			});

			it('does not confuse namespace and key boundaries', async () => {
				await store.markSeen('a:b', ['c'], WINDOW);
				expect((await store.markSeen('a', ['b:c'], WINDOW))[0].firstSeen).toBe(true);
				expect((await store.markSeen('a}', ['{b'], WINDOW))[0].firstSeen).toBe(true);
				expect((await store.markSeen('a', ['}{b'], WINDOW))[0].firstSeen).toBe(true);
			});
		});

		describe('keys', () => {
			it('stores any Unicode key exactly, without normalising it', async () => {
				const keys = [
					'café',
					'cafe\u0301',
					'注文-42',
					'طلب-٤٢',
					'😀👍🏽',
					'line\nbreak\ttab',
					' padded ',
					'{braces}:colons:*?[glob]',
					'%00 \\ "quotes" \'',
				];
				const outcomes = await store.claim(
					ns,
					keys.map((key) => ({ key })),
					LEASE,
				);
				expect(outcomes.map((outcome) => outcome.status)).toEqual(keys.map(() => 'claimed'));
				expect((await store.inspect(ns, keys)).map((record) => record?.key)).toEqual(keys);
			});

			it('accepts keys of 2 KB and more, in any script', async () => {
				const keys = ['k'.repeat(2048), '€'.repeat(2048), '😀'.repeat(2048), 'x'.repeat(8192)];
				const outcomes = await store.claim(
					ns,
					keys.map((key) => ({ key })),
					LEASE,
				);
				expect(outcomes.map((outcome) => outcome.status)).toEqual(keys.map(() => 'claimed'));
				expect((await store.inspect(ns, keys)).map((record) => record?.key)).toEqual(keys);
				expect((await store.claim(ns, [{ key: keys[2] }], LEASE))[0].status).toBe('inProgress');
			});

			it('refuses an empty key with a clear StoreError on every operation, writing nothing', async () => {
				const attempts: Array<Promise<unknown>> = [
					store.claim(ns, [{ key: 'fine' }, { key: '' }], LEASE),
					store.complete(ns, [{ key: 'fine' }, { key: '' }], RETENTION),
					store.release(ns, ['fine', ''], RELEASE),
					store.markSeen(ns, ['fine', ''], WINDOW),
					store.inspect(ns, ['fine', '']),
					store.forget(ns, ['fine', '']),
				];
				for (const attempt of attempts) {
					const error = await attempt.catch((caught: unknown) => caught);
					expect(error).toBeInstanceOf(StoreError);
					expect(error).toMatchObject({
						reason: 'invalidKey',
						message: 'The key at position 1 is empty: every item needs a non-empty key',
					});
				}
				expect(await inspectOne('fine')).toBeUndefined();
			});

			it.each([
				['longer than 8 KB', 'x'.repeat(8193), /8193 bytes long/],
				['not text', 42 as unknown as string, /is number, not a string/],
				['with a NUL character', 'a\u0000b', /NUL character/],
				['with a lone surrogate', 'a\uD800b', /lone UTF-16 surrogate/],
			])('refuses a key %s', async (_label, key, message) => {
				await expect(store.claim(ns, [{ key }], LEASE)).rejects.toMatchObject({
					reason: 'invalidKey',
					message,
				});
			});

			it('refuses an empty store name', async () => {
				await expect(store.markSeen('', ['k'], WINDOW)).rejects.toMatchObject({
					reason: 'invalidKey',
					message: 'The store name is empty',
				});
			});

			it('refuses durations that are not positive', async () => {
				await expect(store.claim(ns, [{ key: 'k' }], { leaseMs: 0 })).rejects.toMatchObject({
					reason: 'invalidConfig',
					message: 'leaseMs must be a positive number of milliseconds, got 0',
				});
				await expect(
					store.release(ns, ['k'], { ...RELEASE, maxAttempts: 0 }),
				).rejects.toMatchObject({
					reason: 'invalidConfig',
				});
			});

			it('answers empty batches with nothing', async () => {
				expect(await store.claim(ns, [], LEASE)).toEqual([]);
				expect(await store.complete(ns, [], RETENTION)).toEqual([]);
				expect(await store.release(ns, [], RELEASE)).toEqual([]);
				expect(await store.markSeen(ns, [], WINDOW)).toEqual([]);
				expect(await store.inspect(ns, [])).toEqual([]);
				expect(await store.forget(ns, [])).toBe(0);
			});
		});
	});
}
