import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { EmbeddedStore } from './EmbeddedStore';
import { type IdempotencyStore, StoreError } from './IdempotencyStore';
import { PostgresStore } from './PostgresStore';
import { RedisStore } from './RedisStore';

export interface EmbeddedStoreConfig {
	backend: 'embedded';
	/** Defaults to `defaultEmbeddedStorePath()`. */
	path?: string;
	maxEntries?: number;
}

export interface RedisStoreConfig {
	backend: 'redis';
	host: string;
	port: number;
	db?: number;
	username?: string;
	password?: string;
	tls?: boolean;
	/** Prepended to every Redis key; defaults to `hybrid-sync:`. */
	keyPrefix?: string;
}

export interface PostgresStoreConfig {
	backend: 'postgres';
	host: string;
	port: number;
	database: string;
	user: string;
	password?: string;
	ssl?: boolean;
	/** Defaults to `public`. */
	schema?: string;
	/** Defaults to `hybrid_sync_keys`. */
	table?: string;
}

export type StoreConfig = EmbeddedStoreConfig | RedisStoreConfig | PostgresStoreConfig;

/**
 * Where the embedded store lives unless configured: `$HYBRID_SYNC_STORE_PATH`, else next to n8n's
 * own data (`<N8N_USER_FOLDER or home>/.n8n`, the folder n8n itself resolves).
 */
export function defaultEmbeddedStorePath(): string {
	const configured = process.env.HYBRID_SYNC_STORE_PATH;
	if (configured) return resolve(configured);
	return join(process.env.N8N_USER_FOLDER || homedir(), '.n8n', 'hybrid-sync', 'store.sqlite');
}

const openStores = new Map<string, IdempotencyStore>();

/**
 * The store for a configuration, shared by every caller in this process: nodes call this on every
 * execution, and one connection (or pool) per configuration is all they need.
 * Shared stores stay open for the life of the process; only `closeAllStores` closes them.
 */
export function openStore(config: StoreConfig): IdempotencyStore {
	const { identity, create } = resolveConfig(config);
	let store = openStores.get(identity);
	if (!store) {
		store = create();
		openStores.set(identity, store);
	}
	return store;
}

/** Closes every shared store (tests, shutdown); the next `openStore` opens afresh. */
export async function closeAllStores(): Promise<void> {
	const stores = [...openStores.values()];
	openStores.clear();
	await Promise.all(stores.map(async (store) => store.close()));
}

function resolveConfig(config: StoreConfig): { identity: string; create: () => IdempotencyStore } {
	switch (config?.backend) {
		case 'embedded': {
			const path = resolve(config.path || defaultEmbeddedStorePath());
			const maxEntries = config.maxEntries;
			return {
				identity: JSON.stringify(['embedded', path, maxEntries ?? null]),
				create: () => new EmbeddedStore({ path, maxEntries }),
			};
		}
		case 'redis': {
			const { backend, ...options } = config;
			return {
				identity: JSON.stringify([
					backend,
					options.host,
					options.port,
					options.db ?? 0,
					options.username ?? '',
					options.password ?? '',
					options.tls ?? false,
					options.keyPrefix ?? null,
				]),
				create: () => new RedisStore(options),
			};
		}
		case 'postgres': {
			const { backend, ...options } = config;
			return {
				identity: JSON.stringify([
					backend,
					options.host,
					options.port,
					options.database,
					options.user,
					options.password ?? '',
					options.ssl ?? false,
					options.schema || 'public',
					options.table || null,
				]),
				create: () => new PostgresStore(options),
			};
		}
		default:
			throw new StoreError(
				`Unknown store backend "${String((config as { backend?: unknown } | undefined)?.backend)}"`,
				'invalidConfig',
			);
	}
}
