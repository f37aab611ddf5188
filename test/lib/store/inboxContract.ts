/**
 * The behaviour every backend's inbox port (`store.inbox`) must show. Each backend's test file
 * calls `describeInboxContract` with the factory it gives `describeStoreContract`, and a look at
 * its raw storage: how many copies of a body it holds (content addressing is not visible through
 * the port).
 */
import { randomUUID } from 'node:crypto';

import type {
	InboxBounds,
	InboxEvent,
	KeepRequest,
	RejectedDelivery,
} from '../../../lib/store/DeliveryInbox';
import type { Clock, IdempotencyStore } from '../../../lib/store/IdempotencyStore';
import { bodyHashOf, rejectedBodyPrefix } from '../../../lib/store/inboxRules';
import { T0, type TestClock, testClock } from './storeContract';

const DAY = 86_400_000;
const BOUNDS: InboxBounds = { retentionMs: 7 * DAY, maxEntries: 1000 };

export interface InboxBackend {
	makeStore: (clock: Clock, sameDataAs?: IdempotencyStore) => Promise<IdempotencyStore>;
	/** Copies of the body with this sha256 (hex) the backend holds for the namespace, live or not. */
	storedBodies: (store: IdempotencyStore, namespace: string, hash: string) => Promise<number>;
}

const event = (eventId: string, overrides: Partial<InboxEvent> = {}): InboxEvent => ({
	eventId,
	eventType: 'invoice.paid',
	scheme: 'stripe',
	path: 'stripe-events',
	envelope: { id: eventId, type: 'invoice.paid', body: { amount: 100 } },
	headers: { 'content-type': 'application/json', 'user-agent': 'Stripe/1.0' },
	...overrides,
});

const rejection = (at: number, overrides: Partial<RejectedDelivery> = {}): RejectedDelivery => ({
	path: 'stripe-events',
	scheme: 'stripe',
	reason: 'signatureMismatch',
	status: 401,
	at,
	headers: { 'content-type': 'application/json' },
	bodyPrefix: '{"id":"evt_1"}',
	sourceIp: '203.0.113.7',
	...overrides,
});

export function describeInboxContract(name: string, backend: InboxBackend): void {
	describe(`${name} inbox port`, () => {
		let time: TestClock;
		let store: IdempotencyStore;
		let ns: string;

		beforeEach(async () => {
			time = testClock();
			store = await backend.makeStore(time.clock);
			ns = `inbox-${randomUUID()}`;
		});
		afterEach(async () => store.close());

		const keep = async (
			events: InboxEvent[],
			rawBody: Buffer = Buffer.from(JSON.stringify(events.map((e) => e.envelope))),
			bounds: InboxBounds = BOUNDS,
		) => await store.inbox.keep(ns, { rawBody, events, receivedAt: time.now() }, bounds);
		const getOne = async (eventId: string) => (await store.inbox.get(ns, [eventId]))[0];
		const listIds = async (query: Parameters<IdempotencyStore['inbox']['list']>[1]) =>
			(await store.inbox.list(ns, query)).entries.map((entry) => entry.eventId);

		describe('keep and get', () => {
			it('keeps a first receipt with every field, and gives it back with its exact bytes', async () => {
				const rawBody = Buffer.from('{"id":"evt_1","type":"invoice.paid"}');
				const [outcome] = await keep([event('evt_1')], rawBody);
				const entry = {
					namespace: ns,
					eventId: 'evt_1',
					eventType: 'invoice.paid',
					scheme: 'stripe',
					path: 'stripe-events',
					envelope: event('evt_1').envelope,
					headers: event('evt_1').headers,
					bodyHash: bodyHashOf(rawBody),
					receivedAt: T0,
					lastReceivedAt: T0,
					receipts: 1,
					expiresAt: T0 + BOUNDS.retentionMs,
				};
				expect(outcome).toEqual({ eventId: 'evt_1', firstReceipt: true, entry });
				expect(await getOne('evt_1')).toEqual({ ...entry, rawBody });
			});

			it('counts a repeat: receipts raised, retention extended, the first delivery kept', async () => {
				const first = Buffer.from('first bytes');
				await keep([event('evt_1')], first);
				time.advance(60_000);
				const [repeat] = await keep(
					[event('evt_1', { envelope: { id: 'evt_1', changed: true } })],
					Buffer.from('other bytes'),
				);
				expect(repeat.firstReceipt).toBe(false);
				expect(repeat.entry).toMatchObject({
					receivedAt: T0,
					lastReceivedAt: T0 + 60_000,
					receipts: 2,
					expiresAt: T0 + 60_000 + BOUNDS.retentionMs,
					envelope: event('evt_1').envelope,
					bodyHash: bodyHashOf(first),
				});
				const stored = await getOne('evt_1');
				expect(stored).toEqual({ ...repeat.entry, rawBody: first });
			});

			it('keeps every event of a batch with the one body; a copy later in the batch is a repeat', async () => {
				const rawBody = Buffer.from(`[batch ${ns}]`);
				const outcomes = await keep([event('a'), event('b'), event('a')], rawBody);
				expect(outcomes.map((o) => [o.eventId, o.firstReceipt, o.entry.receipts])).toEqual([
					['a', true, 1],
					['b', true, 1],
					['a', false, 2],
				]);
				const [a, b] = await store.inbox.get(ns, ['a', 'b']);
				expect(a?.rawBody).toEqual(rawBody);
				expect(b?.rawBody).toEqual(rawBody);
				expect(await backend.storedBodies(store, ns, bodyHashOf(rawBody))).toBe(1);
			});

			it('stores a body carried by several deliveries once', async () => {
				const rawBody = Buffer.from(`same bytes ${randomUUID()}`);
				await keep([event('a')], rawBody);
				time.advance(1000);
				await keep([event('b')], rawBody);
				expect(await backend.storedBodies(store, ns, bodyHashOf(rawBody))).toBe(1);
				expect((await getOne('b'))?.rawBody).toEqual(rawBody);
			});

			it('gives back exactly the bytes and headers given: 1 MB, unicode, every byte value', async () => {
				const unicode = Buffer.from('{"name":"Zoë 東京 🚀","note":"\\u0000 and \u00a0"}', 'utf8');
				const everyByte = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
				const big = Buffer.alloc(1024 * 1024, 'ü€😀 payload '.repeat(1));
				const rawBody = Buffer.concat([unicode, everyByte, big]);
				const headers = {
					'content-type': 'application/json; charset=utf-8',
					'x-note': 'Grüße 🚀',
					'x-empty': '',
				};
				await keep([event('evt_big', { headers, eventType: 'ünïcode.événement' })], rawBody);
				const stored = await getOne('evt_big');
				expect(stored?.rawBody?.equals(rawBody)).toBe(true);
				expect(stored?.headers).toEqual(headers);
				expect(stored?.eventType).toBe('ünïcode.événement');
				expect(stored?.bodyHash).toBe(bodyHashOf(rawBody));
			});

			it('keeps a body that is empty', async () => {
				await keep([event('evt_empty')], Buffer.alloc(0));
				expect((await getOne('evt_empty'))?.rawBody).toEqual(Buffer.alloc(0));
			});

			it('keeps a null event type', async () => {
				await keep([event('evt_1', { eventType: null })]);
				expect((await getOne('evt_1'))?.eventType).toBeNull();
			});

			it('answers get in input order, undefined for ids never kept', async () => {
				await keep([event('a'), event('b')]);
				const found = await store.inbox.get(ns, ['b', 'missing', 'a']);
				expect(found.map((entry) => entry?.eventId)).toEqual(['b', undefined, 'a']);
			});

			it('forgets an entry retentionMs after its last receipt; a later delivery is a first receipt again', async () => {
				await keep([event('evt_1')]);
				time.advance(BOUNDS.retentionMs - 1);
				await keep([event('evt_1')]);
				time.advance(BOUNDS.retentionMs - 1);
				expect((await getOne('evt_1'))?.receipts).toBe(2);
				time.advance(1);
				expect(await getOne('evt_1')).toBeUndefined();
				expect(await listIds({ limit: 10 })).toEqual([]);
				const [again] = await keep([event('evt_1')]);
				expect(again).toMatchObject({ firstReceipt: true, entry: { receipts: 1 } });
			});

			it('keeps namespaces apart', async () => {
				await keep([event('evt_1')]);
				expect(await store.inbox.get(`${ns}-other`, ['evt_1'])).toEqual([undefined]);
				const [other] = await store.inbox.keep(
					`${ns}-other`,
					{ rawBody: Buffer.from('x'), events: [event('evt_1')], receivedAt: T0 },
					BOUNDS,
				);
				expect(other.firstReceipt).toBe(true);
			});

			it('gives a first receipt to exactly one of many concurrent keeps on several connections', async () => {
				const peers = [
					store,
					...(await Promise.all(
						[1, 2, 3].map(async () => await backend.makeStore(time.clock, store)),
					)),
				];
				try {
					const request: KeepRequest = {
						rawBody: Buffer.from('{"id":"hot"}'),
						events: [event('hot')],
						receivedAt: T0,
					};
					const outcomes = (
						await Promise.all(
							Array.from(
								{ length: 12 },
								async (_, index) =>
									await peers[index % peers.length].inbox.keep(ns, request, BOUNDS),
							),
						)
					).map(([outcome]) => outcome);
					expect(outcomes.filter((outcome) => outcome.firstReceipt)).toHaveLength(1);
					expect((await getOne('hot'))?.receipts).toBe(12);
				} finally {
					await Promise.all(peers.slice(1).map(async (peer) => await peer.close()));
				}
			});

			it('refuses a bad request before writing anything of it', async () => {
				await expect(keep([event('ok'), event('')])).rejects.toMatchObject({
					name: 'StoreError',
					reason: 'invalidKey',
					message: /key at position 1 is empty/,
				});
				await expect(
					store.inbox.keep(
						ns,
						{ rawBody: 'text' as unknown as Buffer, events: [event('ok')], receivedAt: T0 },
						BOUNDS,
					),
				).rejects.toMatchObject({ reason: 'invalidKey', message: /raw body must be a Buffer/ });
				await expect(
					keep([event('ok', { headers: { 'x-n': 1 as unknown as string } })]),
				).rejects.toMatchObject({
					reason: 'invalidKey',
					message: /headers of the event at position 0/,
				});
				await expect(
					keep([event('ok')], undefined, { ...BOUNDS, maxEntries: 0 }),
				).rejects.toMatchObject({
					reason: 'invalidConfig',
				});
				expect(await getOne('ok')).toBeUndefined();
			});

			it('answers an empty delivery with nothing', async () => {
				expect(await keep([])).toEqual([]);
			});
		});

		describe('bounds', () => {
			it('drops the oldest entries past maxEntries and counts them', async () => {
				const bounds = { ...BOUNDS, maxEntries: 3 };
				for (const id of ['e1', 'e2', 'e3', 'e4', 'e5']) {
					await keep([event(id)], Buffer.from(`${id} ${ns}`), bounds);
					time.advance(1000);
				}
				expect(await listIds({ limit: 10 })).toEqual(['e3', 'e4', 'e5']);
				expect(await store.inbox.get(ns, ['e1', 'e2'])).toEqual([undefined, undefined]);
				expect((await store.inbox.tally(ns, 0)).dropped).toBe(2);
				expect(await backend.storedBodies(store, ns, bodyHashOf(Buffer.from(`e1 ${ns}`)))).toBe(0);
			});

			it('does not count expired entries it removes to make room as dropped', async () => {
				const bounds = { retentionMs: 10_000, maxEntries: 2 };
				await keep([event('old1'), event('old2')], undefined, bounds);
				time.advance(10_000);
				await keep([event('new1'), event('new2')], undefined, bounds);
				expect(await listIds({ limit: 10 })).toEqual(['new1', 'new2']);
				expect((await store.inbox.tally(ns, 0)).dropped).toBe(0);
			});

			it('keeps a body while an entry still refers to it', async () => {
				const shared = Buffer.from(`shared ${randomUUID()}`);
				const bounds = { ...BOUNDS, maxEntries: 1 };
				await keep([event('a')], shared, bounds);
				time.advance(1000);
				await keep([event('b')], shared, bounds);
				expect((await getOne('b'))?.rawBody).toEqual(shared);
			});
		});

		describe('list and purge', () => {
			const seed = async () => {
				await keep([
					event('b1', { eventType: 'invoice.paid' }),
					event('a1', { eventType: 'charge.failed' }),
				]);
				time.advance(1000);
				await keep([event('c2', { eventType: 'invoice.paid' })]);
				time.advance(1000);
				await keep([event('a3', { eventType: 'charge.failed' })]);
			};

			it('lists by receipt time, then event id', async () => {
				await seed();
				expect(await listIds({ limit: 10 })).toEqual(['a1', 'b1', 'c2', 'a3']);
			});

			it('pages with next, across entries received at the same moment', async () => {
				await seed();
				const first = await store.inbox.list(ns, { limit: 1 });
				expect(first.entries.map((entry) => entry.eventId)).toEqual(['a1']);
				expect(first.next).toEqual({ receivedAt: T0, eventId: 'a1' });
				const second = await store.inbox.list(ns, { limit: 2, after: first.next });
				expect(second.entries.map((entry) => entry.eventId)).toEqual(['b1', 'c2']);
				const last = await store.inbox.list(ns, { limit: 2, after: second.next });
				expect(last.entries.map((entry) => entry.eventId)).toEqual(['a3']);
				expect(last.next).toBeUndefined();
			});

			it('filters by time window (from inclusive, to exclusive) and event type', async () => {
				await seed();
				expect(await listIds({ limit: 10, from: T0 + 1000 })).toEqual(['c2', 'a3']);
				expect(await listIds({ limit: 10, to: T0 + 2000 })).toEqual(['a1', 'b1', 'c2']);
				expect(await listIds({ limit: 10, eventType: 'charge.failed' })).toEqual(['a1', 'a3']);
				expect(
					await listIds({
						limit: 1,
						eventType: 'invoice.paid',
						after: { receivedAt: T0, eventId: 'b1' },
					}),
				).toEqual(['c2']);
			});

			it('purges what the filter matches, answers how many, and leaves the rest with their bodies', async () => {
				await seed();
				expect(await store.inbox.purge(ns, { eventType: 'charge.failed' })).toBe(2);
				expect(await listIds({ limit: 10 })).toEqual(['b1', 'c2']);
				expect((await getOne('b1'))?.rawBody).toBeDefined();
				expect(await store.inbox.purge(ns, { from: T0 + 1000 })).toBe(1);
				expect(await listIds({ limit: 10 })).toEqual(['b1']);
			});

			it("removes a purged delivery's body once nothing refers to it", async () => {
				const rawBody = Buffer.from(`purge me ${randomUUID()}`);
				await keep([event('a'), event('b')], rawBody);
				expect(await store.inbox.purge(ns, { to: T0 + 1 })).toBe(2);
				expect(await backend.storedBodies(store, ns, bodyHashOf(rawBody))).toBe(0);
				expect(await store.inbox.get(ns, ['a'])).toEqual([undefined]);
			});
		});

		describe('rejections and tally', () => {
			it('keeps rejections newest first, filtered by time, exactly as given', async () => {
				const bodyPrefix = rejectedBodyPrefix(
					Buffer.concat([Buffer.from('Zoë 🚀 '), Buffer.alloc(4000, 'x')]),
				);
				await store.inbox.recordRejection(
					ns,
					rejection(T0, { bodyPrefix, sourceIp: null }),
					BOUNDS,
				);
				await store.inbox.recordRejection(
					ns,
					rejection(T0 + 1, { reason: 'tooLarge', status: 413 }),
					BOUNDS,
				);
				await store.inbox.recordRejection(ns, rejection(T0 + 2), BOUNDS);
				const all = await store.inbox.rejections(ns, { limit: 10 });
				expect(all.map((r) => r.at)).toEqual([T0 + 2, T0 + 1, T0]);
				expect(all[2]).toEqual(rejection(T0, { bodyPrefix, sourceIp: null }));
				expect(bodyPrefix.length).toBeLessThanOrEqual(2048);
				expect(
					(await store.inbox.rejections(ns, { limit: 1, from: T0, to: T0 + 2 })).map((r) => r.at),
				).toEqual([T0 + 1]);
			});

			it('keeps the newest maxEntries rejections for retentionMs', async () => {
				const bounds = { retentionMs: 10_000, maxEntries: 2 };
				for (const offset of [0, 1, 2]) {
					await store.inbox.recordRejection(ns, rejection(T0 + offset), bounds);
				}
				expect((await store.inbox.rejections(ns, { limit: 10 })).map((r) => r.at)).toEqual([
					T0 + 2,
					T0 + 1,
				]);
				time.advance(10_002);
				expect(await store.inbox.rejections(ns, { limit: 10 })).toEqual([]);
			});

			it('keeps a body prefix with a NUL character and replaced bytes', async () => {
				const bodyPrefix = rejectedBodyPrefix(Buffer.from([0x00, 0xff, 0x41]));
				await store.inbox.recordRejection(ns, rejection(T0, { bodyPrefix }), BOUNDS);
				expect((await store.inbox.rejections(ns, { limit: 1 }))[0].bodyPrefix).toBe(
					'\u0000\ufffdA',
				);
			});

			it('refuses a body prefix over 2 KB', async () => {
				await expect(
					store.inbox.recordRejection(ns, rejection(T0, { bodyPrefix: 'x'.repeat(2049) }), BOUNDS),
				).rejects.toMatchObject({ reason: 'invalidKey', message: /body prefix/ });
			});

			it('tallies kept entries, repeats and rejections by reason since a time', async () => {
				await keep([event('old')]);
				time.advance(1000);
				await keep([event('a'), event('b')]);
				await keep([event('a')]);
				await keep([event('a')]);
				await store.inbox.recordRejection(ns, rejection(T0), BOUNDS);
				await store.inbox.recordRejection(ns, rejection(T0 + 1000), BOUNDS);
				await store.inbox.recordRejection(ns, rejection(T0 + 1000, { reason: 'tooLarge' }), BOUNDS);
				expect(await store.inbox.tally(ns, T0 + 1000)).toEqual({
					kept: 2,
					repeats: 2,
					rejected: { signatureMismatch: 1, tooLarge: 1 },
					dropped: 0,
				});
				expect(await store.inbox.tally(`${ns}-none`, 0)).toEqual({
					kept: 0,
					repeats: 0,
					rejected: {},
					dropped: 0,
				});
			});
		});
	});
}
