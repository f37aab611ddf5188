import Redis from 'ioredis';

import type { Clock } from '../../../lib/store/IdempotencyStore';
import { RedisStore } from '../../../lib/store/RedisStore';
import { closeAllStores } from '../../../lib/store/openStore';
import { describeCursorContract } from './cursorContract';
import { describeInboxContract } from './inboxContract';
import { describeLegacyRecords } from './legacyRecords';
import { describeStoreRaces } from './raceClaims';
import {
	type RedisConnection,
	type RunningService,
	SERVICE_START_TIMEOUT_MS,
	describeUnreachableServer,
	startService,
} from './services';
import { T0, describeStoreContract } from './storeContract';

let redis: RunningService<RedisConnection>;

beforeAll(async () => {
	redis = await startService('redis');
}, SERVICE_START_TIMEOUT_MS);

afterAll(async () => {
	await closeAllStores();
	await redis?.stop();
});

const openContractStore = async (clock: Clock) => new RedisStore({ ...redis.connection, clock });
describeStoreContract('redis', openContractStore);
describeCursorContract('redis', openContractStore);
describeInboxContract('redis', {
	makeStore: openContractStore,
	storedBodies: async (_store, namespace, hash) => {
		const raw = new Redis(redis.connection);
		try {
			return await raw.exists(`hybrid-sync:i${namespace.length}:{${namespace}}:b:${hash}`);
		} finally {
			raw.disconnect();
		}
	},
});

describeLegacyRecords('redis', () => ({
	open: async (namespace, records, clock) => {
		const raw = new Redis(redis.connection);
		try {
			for (const { key, ...fields } of records) {
				// The previous release's hash: these fields only, absent ones not set.
				const redisKey = `hybrid-sync:${namespace.length}:{${namespace}}:${key}`;
				const present = Object.entries(fields).filter(([, value]) => value !== undefined);
				await raw.hset(
					redisKey,
					Object.fromEntries(present.map(([name, value]) => [name, String(value)])),
				);
				await raw.pexpire(redisKey, fields.expiresAt - T0);
			}
		} finally {
			raw.disconnect();
		}
		return new RedisStore({ ...redis.connection, clock });
	},
}));

describe('RedisStore', () => {
	const stores: RedisStore[] = [];
	const open = (options: Partial<ConstructorParameters<typeof RedisStore>[0]> = {}) => {
		const store = new RedisStore({ ...redis.connection, ...options });
		stores.push(store);
		return store;
	};
	afterEach(async () => {
		await Promise.all(stores.splice(0).map(async (store) => store.close()));
	});

	it('names the server in the description', () => {
		expect(open({ db: 2 }).description).toBe(
			`redis (${redis.connection.host}:${redis.connection.port}, db 2)`,
		);
	});

	it('writes under its key prefix, with the native TTL set', async () => {
		const raw = new Redis({ ...redis.connection, lazyConnect: true });
		try {
			await open({ keyPrefix: 'custom-prefix:' }).markSeen('orders', ['evt_1'], { ttlMs: 60_000 });
			const keys = await raw.keys('custom-prefix:*');
			expect(keys).toEqual(['custom-prefix:6:{orders}:evt_1']);
			const ttl = await raw.pttl(keys[0]);
			expect(ttl).toBeGreaterThan(55_000);
			expect(ttl).toBeLessThanOrEqual(60_000);
		} finally {
			raw.disconnect();
		}
	});

	it('writes a cursor under its key prefix with no TTL', async () => {
		const raw = new Redis({ ...redis.connection, lazyConnect: true });
		try {
			await open({ keyPrefix: 'cursor-prefix:' }).cursors.write('poll', { value: 1, seenIds: [] });
			expect(await raw.keys('cursor-prefix:*')).toEqual(['cursor-prefix:c:poll']);
			expect(await raw.pttl('cursor-prefix:c:poll')).toBe(-1);
		} finally {
			raw.disconnect();
		}
	});

	it('keeps a delivery and claims its event in one command each (the webhook hot path)', async () => {
		const store = open();
		const keepOne = async (eventId: string) =>
			await store.inbox.keep(
				'hot-path',
				{
					rawBody: Buffer.from(`{"id":"${eventId}"}`),
					events: [{ eventId, eventType: 'e', scheme: 's', path: 'p', envelope: {}, headers: {} }],
					receivedAt: Date.now(),
				},
				{ retentionMs: 60_000, maxEntries: 100 },
			);
		// Connects and loads the scripts, so what follows is the steady state.
		await keepOne('warm-up');
		await store.claim('hot-path', [{ key: 'warm-up' }], { leaseMs: 60_000 });
		const client = (store as unknown as { client: Redis }).client;
		const sent = jest.spyOn(client, 'sendCommand');
		await keepOne('evt_1');
		expect(sent).toHaveBeenCalledTimes(1);
		await store.claim('hot-path', [{ key: 'evt_1' }], { leaseMs: 60_000 });
		expect(sent).toHaveBeenCalledTimes(2);
		expect(sent.mock.calls.map(([command]) => command.name)).toEqual(['evalsha', 'evalsha']);
	});

	it('keeps the inbox under its own key space, with native TTLs', async () => {
		const raw = new Redis({ ...redis.connection, lazyConnect: true });
		try {
			await open({ keyPrefix: 'inbox-prefix:' }).inbox.keep(
				'orders',
				{
					rawBody: Buffer.from('body'),
					events: [
						{
							eventId: 'evt_1',
							eventType: null,
							scheme: 's',
							path: 'p',
							envelope: {},
							headers: {},
						},
					],
					receivedAt: Date.now(),
				},
				{ retentionMs: 60_000, maxEntries: 100 },
			);
			const keys = (await raw.keys('inbox-prefix:*')).sort();
			expect(keys).toEqual(
				[
					'inbox-prefix:i6:{orders}:b:230d8358dc8e8890b4c58deeb62912ee2f20357ae92a5cc861b98e68fe31acb5',
					'inbox-prefix:i6:{orders}:e:evt_1',
					'inbox-prefix:i6:{orders}:idx',
					'inbox-prefix:i6:{orders}:r:230d8358dc8e8890b4c58deeb62912ee2f20357ae92a5cc861b98e68fe31acb5',
				].sort(),
			);
			for (const key of keys) {
				const ttl = await raw.pttl(key);
				expect(ttl).toBeGreaterThan(55_000);
				expect(ttl).toBeLessThanOrEqual(60_000);
			}
		} finally {
			raw.disconnect();
		}
	});

	it('keeps stores with different key prefixes apart', async () => {
		await open({ keyPrefix: 'one:' }).markSeen('ns', ['k'], { ttlMs: 60_000 });
		expect(
			(await open({ keyPrefix: 'two:' }).markSeen('ns', ['k'], { ttlMs: 60_000 }))[0].firstSeen,
		).toBe(true);
	});

	it('uses the selected database', async () => {
		await open({ db: 3 }).markSeen('ns-db', ['k'], { ttlMs: 60_000 });
		expect((await open({ db: 4 }).markSeen('ns-db', ['k'], { ttlMs: 60_000 }))[0].firstSeen).toBe(
			true,
		);
	});

	it('connects again after the server dropped the connection', async () => {
		const store = open();
		await store.markSeen('reconnect', ['a'], { ttlMs: 60_000 });
		const raw = new Redis({ ...redis.connection });
		try {
			await raw.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
		} finally {
			raw.disconnect();
		}
		await new Promise((resume) => setTimeout(resume, 50));
		expect(
			(await store.markSeen('reconnect', ['a', 'b'], { ttlMs: 60_000 })).map((o) => o.firstSeen),
		).toEqual([false, true]);
	});

	describeStoreRaces(() => ({
		open: () => new RedisStore(redis.connection),
		config: { backend: 'redis', ...redis.connection },
	}));

	describeUnreachableServer(
		'Redis',
		(settings) => new RedisStore({ ...redis.connection, ...settings }),
	);
});
