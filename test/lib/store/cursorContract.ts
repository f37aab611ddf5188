/**
 * The behaviour every backend's cursor port (`store.cursors`) must show, and the one-time move of
 * a cursor the previous release kept as a completed record. Each backend's test file calls
 * `describeCursorContract` with the factory it gives `describeStoreContract`.
 */
import { randomUUID } from 'node:crypto';

import { readCursor } from '../../../lib/store/CursorStore';
import { type Clock, type IdempotencyStore, StoreError } from '../../../lib/store/IdempotencyStore';
import { MAX_CURSOR_BYTES, MAX_RESULT_BYTES } from '../../../lib/store/validation';
import { type TestClock, testClock } from './storeContract';

/** How the previous release committed a cursor: a completed record kept for ten years. */
const LEGACY_NAMESPACE = 'cursor-poll-trigger';
const LEGACY_RETENTION = { retentionMs: 10 * 365 * 86_400_000 };

const STATE = { value: 1_750_000_000_000, seenIds: [['ord_1', 1_750_000_000_000]] };

export function describeCursorContract(
	name: string,
	makeStore: (clock: Clock, sameDataAs?: IdempotencyStore) => Promise<IdempotencyStore>,
): void {
	describe(`${name} cursor port`, () => {
		let time: TestClock;
		let store: IdempotencyStore;
		const others: IdempotencyStore[] = [];
		/** Fresh per test, so servers that keep data between tests start without this cursor. */
		let key: string;

		beforeEach(async () => {
			time = testClock();
			store = await makeStore(time.clock);
			key = `workflow-${randomUUID()}:node:`;
		});
		afterEach(async () => {
			await Promise.all([store, ...others.splice(0)].map(async (opened) => opened.close()));
		});

		it('reads nothing for a key never written', async () => {
			expect(await store.cursors.read(key)).toBeUndefined();
		});

		it('reads back the state last written, on another connection to the same data', async () => {
			await store.cursors.write(key, { value: 1, seenIds: [] });
			await store.cursors.write(key, STATE);
			const peer = await makeStore(time.clock, store);
			others.push(peer);
			expect(await peer.cursors.read(key)).toEqual(STATE);
		});

		it('keeps a cursor with no expiry', async () => {
			await store.cursors.write(key, STATE);
			time.advance(20 * 365 * 86_400_000);
			expect(await store.cursors.read(key)).toEqual(STATE);
		});

		it('keeps cursors apart from keys of the same name in every namespace', async () => {
			await store.cursors.write(key, STATE);
			expect(await store.inspect(LEGACY_NAMESPACE, [key])).toEqual([undefined]);
			expect((await store.markSeen(LEGACY_NAMESPACE, [key], { ttlMs: 60_000 }))[0].firstSeen).toBe(
				true,
			);
			expect(await store.forget(LEGACY_NAMESPACE, [key])).toBe(1);
			expect(await store.cursors.read(key)).toEqual(STATE);
		});

		it('keeps a state bigger than any result, up to its own limit', async () => {
			// JSON quotes take the other two bytes.
			const state = 'x'.repeat(MAX_CURSOR_BYTES - 2);
			expect(MAX_CURSOR_BYTES).toBeGreaterThan(MAX_RESULT_BYTES);
			await store.cursors.write(key, state);
			expect(await store.cursors.read(key)).toBe(state);
		});

		it('refuses a state over its limit and keeps the one before', async () => {
			await store.cursors.write(key, STATE);
			await expect(
				store.cursors.write(key, 'x'.repeat(MAX_CURSOR_BYTES - 1)),
			).rejects.toMatchObject({
				name: 'StoreError',
				reason: 'invalidKey',
				message: `The cursor state is ${MAX_CURSOR_BYTES + 1} bytes as JSON; the store keeps cursor states up to ${MAX_CURSOR_BYTES} bytes (shorten the lookback window)`,
			});
			expect(await store.cursors.read(key)).toEqual(STATE);
		});

		it('refuses a state that is not JSON', async () => {
			const error = await store.cursors.write(key, undefined).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(StoreError);
			expect(error).toMatchObject({ reason: 'invalidKey', message: /cursor state is undefined/ });
			await expect(store.cursors.write(key, { big: 1n })).rejects.toMatchObject({
				message: /cursor state cannot be stored as JSON/,
			});
			expect(await store.cursors.read(key)).toBeUndefined();
		});

		it.each([
			['empty', '', /cursor key is empty/],
			['longer than 8 KB', 'x'.repeat(8193), /cursor key is 8193 bytes long/],
			['with a NUL character', 'a\u0000b', /cursor key contains a NUL character/],
		])('refuses a key %s on read and write', async (_label, badKey, message) => {
			await expect(store.cursors.read(badKey)).rejects.toMatchObject({
				reason: 'invalidKey',
				message,
			});
			await expect(store.cursors.write(badKey, STATE)).rejects.toMatchObject({
				reason: 'invalidKey',
				message,
			});
		});

		describe('a cursor the previous release kept as a completed record', () => {
			const keepAsPreviousRelease = async (state: unknown) =>
				await store.complete(LEGACY_NAMESPACE, [{ key, result: state }], LEGACY_RETENTION);

			it('is read, moved to the cursor port and removed from the old place', async () => {
				await keepAsPreviousRelease(STATE);
				expect(await readCursor(store, key, LEGACY_NAMESPACE)).toEqual(STATE);
				expect(await store.cursors.read(key)).toEqual(STATE);
				expect(await store.inspect(LEGACY_NAMESPACE, [key])).toEqual([undefined]);
			});

			it('gives way to a cursor the port already has', async () => {
				await store.cursors.write(key, STATE);
				await keepAsPreviousRelease({ value: 1, seenIds: [] });
				expect(await readCursor(store, key, LEGACY_NAMESPACE)).toEqual(STATE);
			});

			it('is not there for a new trigger: nothing is read and nothing written', async () => {
				expect(await readCursor(store, key, LEGACY_NAMESPACE)).toBeUndefined();
				expect(await store.cursors.read(key)).toBeUndefined();
			});
		});
	});
}
