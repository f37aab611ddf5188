import { createHash } from 'node:crypto';

import { Client, type Pool } from 'pg';

import type { Clock } from '../../../lib/store/IdempotencyStore';
import { PostgresStore } from '../../../lib/store/PostgresStore';
import { closeAllStores } from '../../../lib/store/openStore';
import { describeCursorContract } from './cursorContract';
import { describeInboxContract } from './inboxContract';
import { describeLegacyRecords } from './legacyRecords';
import { describeStoreRaces } from './raceClaims';
import {
	type PostgresConnection,
	type RunningService,
	SERVICE_START_TIMEOUT_MS,
	describeUnreachableServer,
	startService,
} from './services';
import { describeStoreContract, testClock } from './storeContract';

let postgres: RunningService<PostgresConnection>;

beforeAll(async () => {
	postgres = await startService('postgres');
}, SERVICE_START_TIMEOUT_MS);

afterAll(async () => {
	await closeAllStores();
	await postgres?.stop();
});

const openContractStore = async (clock: Clock) =>
	new PostgresStore({ ...postgres.connection, clock });
describeStoreContract('postgres', openContractStore);
describeCursorContract('postgres', openContractStore);

async function withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
	const client = new Client(postgres.connection);
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end();
	}
}

describeInboxContract('postgres', {
	makeStore: openContractStore,
	storedBodies: async (_store, _namespace, hash) =>
		await withClient(
			async (client) =>
				(
					await client.query<{ n: number }>(
						'SELECT count(*)::int AS n FROM hybrid_sync_keys_inbox_bodies WHERE hash = $1',
						[hash],
					)
				).rows[0].n,
		),
});

let legacyTables = 0;
describeLegacyRecords('postgres', () => ({
	open: async (namespace, records, clock) => {
		const table = `legacy_${Date.now()}_${++legacyTables}`;
		await withClient(async (client) => {
			// The previous release's table: no token, no counters.
			await client.query(`CREATE TABLE "${table}" (
				namespace text COLLATE "C" NOT NULL, key_hash bytea NOT NULL, key text NOT NULL,
				state text NOT NULL, attempts integer NOT NULL, fingerprint text, result text,
				claimed_at bigint, completed_at bigint, lease_expires_at bigint,
				expires_at bigint NOT NULL, updated_at bigint NOT NULL, PRIMARY KEY (namespace, key_hash))`);
			for (const record of records) {
				await client.query(
					`INSERT INTO "${table}" (namespace, key_hash, key, state, attempts, result, claimed_at,
						completed_at, lease_expires_at, expires_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
					[
						namespace,
						createHash('sha256').update(record.key, 'utf8').digest(),
						record.key,
						record.state,
						record.attempts,
						record.result ?? null,
						record.claimedAt ?? null,
						record.completedAt ?? null,
						record.leaseExpiresAt ?? null,
						record.expiresAt,
						record.updatedAt,
					],
				);
			}
		});
		return new PostgresStore({ ...postgres.connection, table, clock });
	},
}));

describe('PostgresStore', () => {
	const stores: PostgresStore[] = [];
	const open = (options: Partial<ConstructorParameters<typeof PostgresStore>[0]> = {}) => {
		const store = new PostgresStore({ ...postgres.connection, ...options });
		stores.push(store);
		return store;
	};
	afterEach(async () => {
		await Promise.all(stores.splice(0).map(async (store) => store.close()));
	});

	it('names server, database and table in the description', () => {
		const { host, port } = postgres.connection;
		expect(open({ schema: 'app', table: 'keys' }).description).toBe(
			`postgres (postgres@${host}:${port}/postgres, app.keys)`,
		);
	});

	it('creates schema and table on first use, quoting any name safely', async () => {
		const schema = 'odd "schema"; DROP TABLE x; --';
		const table = 'Keys With "Quotes"';
		await open({ schema, table }).markSeen('ns', ['k'], { ttlMs: 60_000 });
		const rows = await withClient(
			async (client) =>
				(
					await client.query(
						'SELECT count(*)::int AS n FROM "odd ""schema""; DROP TABLE x; --"."Keys With ""Quotes"""',
					)
				).rows,
		);
		expect(rows).toEqual([{ n: 1 }]);
	});

	it('creates the cursors table beside the keys table, also for a keys table already there', async () => {
		const schema = `cursors_${Date.now()}`;
		await open({ schema, table: 'keys' }).markSeen('ns', ['k'], { ttlMs: 60_000 });
		await withClient(async (client) => await client.query(`DROP TABLE "${schema}".keys_cursors`));
		await open({ schema, table: 'keys' }).cursors.write('poll', { value: 1, seenIds: [] });
		const rows = await withClient(
			async (client) =>
				(await client.query(`SELECT key, state FROM "${schema}".keys_cursors`)).rows,
		);
		expect(rows).toEqual([{ key: 'poll', state: '{"value":1,"seenIds":[]}' }]);
	});

	it('creates the table once when many stores meet an empty schema at the same time', async () => {
		const schema = `concurrent_${Date.now()}`;
		const racers = Array.from({ length: 10 }, () => open({ schema }));
		const outcomes = await Promise.all(
			racers.map(async (store) => store.markSeen('ns', ['same'], { ttlMs: 60_000 })),
		);
		expect(outcomes.filter(([outcome]) => outcome.firstSeen)).toHaveLength(1);
	});

	it('keeps a delivery and claims its event in one statement each (the webhook hot path)', async () => {
		const time = testClock();
		const store = open({ table: `hot_${Date.now()}`, clock: time.clock });
		const keepOne = async (eventId: string) =>
			await store.inbox.keep(
				'hot-path',
				{
					rawBody: Buffer.from(`{"id":"${eventId}"}`),
					events: [{ eventId, eventType: 'e', scheme: 's', path: 'p', envelope: {}, headers: {} }],
					receivedAt: time.now(),
				},
				{ retentionMs: 60_000, maxEntries: 100 },
			);
		// Creates the tables and runs the first purge, so what follows is the steady state.
		await keepOne('warm-up');
		const pool = (store as unknown as { pool: Pool }).pool;
		const sent = jest.spyOn(pool, 'query');
		expect((await keepOne('evt_1'))[0].firstReceipt).toBe(true);
		expect(sent).toHaveBeenCalledTimes(1);
		await store.claim('hot-path', [{ key: 'evt_1' }], { leaseMs: 60_000 });
		expect(sent).toHaveBeenCalledTimes(2);
	});

	it('creates the inbox tables beside the keys table', async () => {
		const schema = `inbox_${Date.now()}`;
		await open({ schema, table: 'keys' }).inbox.recordRejection(
			'ns',
			{
				path: 'p',
				scheme: 's',
				reason: 'signatureMismatch',
				status: 401,
				at: Date.now(),
				headers: {},
				bodyPrefix: '',
				sourceIp: null,
			},
			{ retentionMs: 60_000, maxEntries: 10 },
		);
		const rows = await withClient(
			async (client) =>
				(
					await client.query(
						'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
						[schema],
					)
				).rows,
		);
		expect(rows.map((row) => row.name)).toEqual([
			'keys',
			'keys_cursors',
			'keys_inbox',
			'keys_inbox_bodies',
			'keys_inbox_counts',
			'keys_rejected',
			'keys_versions',
		]);
	});

	it('refuses a table name over 63 bytes', () => {
		expect(() => open({ table: 't'.repeat(64) })).toThrow(
			expect.objectContaining({ reason: 'invalidConfig' }),
		);
	});

	it('purges expired rows lazily', async () => {
		const table = `purge_${Date.now()}`;
		const time = testClock();
		const store = open({ table, clock: time.clock });
		await store.markSeen('ns', ['a', 'b', 'c'], { ttlMs: 1000 });
		time.advance(3_600_000);
		await store.markSeen('ns', ['d'], { ttlMs: 1000 });
		const rows = await withClient(
			async (client) => (await client.query(`SELECT key FROM "${table}"`)).rows,
		);
		expect(rows).toEqual([{ key: 'd' }]);
	});

	describeStoreRaces(() => ({
		open: () => new PostgresStore(postgres.connection),
		config: { backend: 'postgres', ...postgres.connection },
	}));

	describeUnreachableServer(
		'PostgreSQL',
		(settings) => new PostgresStore({ ...postgres.connection, ...settings }),
	);
});
