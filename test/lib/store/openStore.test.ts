import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { StoreError } from '../../../lib/store/IdempotencyStore';
import {
	type StoreConfig,
	closeAllStores,
	defaultEmbeddedMaxEntries,
	defaultEmbeddedStorePath,
	openStore,
} from '../../../lib/store/openStore';

const folder = mkdtempSync(join(tmpdir(), 'hybrid-sync-open-'));
const savedEnvironment = { ...process.env };

afterEach(async () => {
	await closeAllStores();
	process.env = { ...savedEnvironment };
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('defaultEmbeddedStorePath', () => {
	it('uses HYBRID_SYNC_STORE_PATH when set', () => {
		process.env.HYBRID_SYNC_STORE_PATH = join(folder, 'chosen.sqlite');
		process.env.N8N_USER_FOLDER = '/somewhere/else';
		expect(defaultEmbeddedStorePath()).toBe(join(folder, 'chosen.sqlite'));
	});

	it('lives in the .n8n folder under N8N_USER_FOLDER, as n8n resolves its own', () => {
		delete process.env.HYBRID_SYNC_STORE_PATH;
		process.env.N8N_USER_FOLDER = '/data/n8n';
		expect(defaultEmbeddedStorePath()).toBe('/data/n8n/.n8n/hybrid-sync/store.sqlite');
	});

	it('falls back to the home folder', () => {
		delete process.env.HYBRID_SYNC_STORE_PATH;
		delete process.env.N8N_USER_FOLDER;
		expect(defaultEmbeddedStorePath()).toBe(join(homedir(), '.n8n', 'hybrid-sync', 'store.sqlite'));
	});
});

describe('defaultEmbeddedMaxEntries', () => {
	it('reads HYBRID_SYNC_STORE_MAX_ENTRIES, and leaves the bound to the store without it', () => {
		process.env.HYBRID_SYNC_STORE_MAX_ENTRIES = '5000000';
		expect(defaultEmbeddedMaxEntries()).toBe(5_000_000);
		delete process.env.HYBRID_SYNC_STORE_MAX_ENTRIES;
		expect(defaultEmbeddedMaxEntries()).toBeUndefined();
	});

	it('refuses a value that is no whole number when the store opens', () => {
		process.env.HYBRID_SYNC_STORE_MAX_ENTRIES = 'lots';
		expect(() => openStore({ backend: 'embedded', path: join(folder, 'bounded.sqlite') })).toThrow(
			expect.objectContaining({
				reason: 'invalidConfig',
				message: expect.stringContaining('maxEntries'),
			}),
		);
	});
});

describe('openStore', () => {
	it('answers the same store for the same configuration, call after call', () => {
		const config: StoreConfig = { backend: 'embedded', path: join(folder, 'shared.sqlite') };
		const first = openStore(config);
		expect(openStore({ ...config })).toBe(first);
		expect(first.description).toBe(`embedded (${join(folder, 'shared.sqlite')})`);
	});

	it('opens the default path when none is configured', () => {
		process.env.HYBRID_SYNC_STORE_PATH = join(folder, 'default.sqlite');
		const store = openStore({ backend: 'embedded' });
		expect(store.description).toContain(join(folder, 'default.sqlite'));
		expect(openStore({ backend: 'embedded', path: join(folder, 'default.sqlite') })).toBe(store);
	});

	it('answers different stores for different files', () => {
		const first = openStore({ backend: 'embedded', path: join(folder, 'one.sqlite') });
		const second = openStore({ backend: 'embedded', path: join(folder, 'two.sqlite') });
		expect(second).not.toBe(first);
	});

	it('opens afresh after closeAllStores', async () => {
		const config: StoreConfig = { backend: 'embedded', path: join(folder, 'reopen.sqlite') };
		const first = openStore(config);
		await first.markSeen('ns', ['k'], { ttlMs: 60_000 });
		await closeAllStores();
		const second = openStore(config);
		expect(second).not.toBe(first);
		expect((await second.markSeen('ns', ['k'], { ttlMs: 60_000 }))[0].firstSeen).toBe(false);
	});

	it('shares Redis and PostgreSQL stores per connection, without connecting yet', () => {
		const redis: StoreConfig = { backend: 'redis', host: '127.0.0.1', port: 6379, password: 'x' };
		expect(openStore({ ...redis })).toBe(openStore(redis));
		expect(openStore({ ...redis, keyPrefix: 'other:' })).not.toBe(openStore(redis));
		expect(openStore(redis).description).toBe('redis (127.0.0.1:6379, db 0)');

		const postgres: StoreConfig = {
			backend: 'postgres',
			host: 'db.internal',
			port: 5432,
			database: 'n8n',
			user: 'n8n',
			password: 'x',
		};
		expect(openStore({ ...postgres })).toBe(openStore(postgres));
		expect(openStore({ ...postgres, table: 'other' })).not.toBe(openStore(postgres));
		expect(openStore(postgres).description).toBe(
			'postgres (n8n@db.internal:5432/n8n, public.hybrid_sync_keys)',
		);
	});

	it('refuses an unknown backend', () => {
		const attempt = () => openStore({ backend: 'memcached' } as unknown as StoreConfig);
		expect(attempt).toThrow(StoreError);
		expect(attempt).toThrow('Unknown store backend "memcached"');
	});
});
