import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Redis from 'ioredis';

import { EmbeddedStore } from '../../lib/store/EmbeddedStore';
import { PostgresStore } from '../../lib/store/PostgresStore';
import { RedisStore } from '../../lib/store/RedisStore';
import { startService } from '../../test/lib/store/services';
import type { Backend } from './storeClaims';

export interface Backends {
	all: Backend[];
	close(): Promise<void>;
}

/** Microseconds Redis spent running scripts, as its own INFO commandstats counts them. */
async function scriptMicros(redis: Redis): Promise<number> {
	const stats = await redis.info('commandstats');
	let micros = 0;
	for (const [, usec] of stats.matchAll(/^cmdstat_eval(?:sha)?:.*?usec=(\d+)/gm))
		micros += Number(usec);
	return micros;
}

/**
 * The three backends as a user gets them: a SQLite file in a temporary folder, and private Redis
 * and PostgreSQL servers (scripts/services.mjs; installed with apt-get when missing).
 */
export async function openBackends(): Promise<Backends> {
	const folder = mkdtempSync(join(tmpdir(), 'hybrid-sync-bench-'));
	const [redis, postgres] = await Promise.all([startService('redis'), startService('postgres')]);
	const stats = new Redis({ ...redis.connection, lazyConnect: true });
	const all: Backend[] = [
		{ name: 'embedded', store: new EmbeddedStore({ path: join(folder, 'store.sqlite') }) },
		{
			name: 'redis',
			store: new RedisStore(redis.connection),
			serverMicros: async () => await scriptMicros(stats),
		},
		{ name: 'postgres', store: new PostgresStore(postgres.connection) },
	];
	return {
		all,
		async close() {
			await Promise.all(all.map(async ({ store }) => await store.close()));
			stats.disconnect();
			await Promise.all([redis.stop(), postgres.stop()]);
			rmSync(folder, { recursive: true, force: true });
		},
	};
}
