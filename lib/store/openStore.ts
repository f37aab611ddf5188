import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { EmbeddedStore } from './EmbeddedStore';
import { type IdempotencyStore, StoreError, type StoreLogger } from './IdempotencyStore';
import { PostgresStore, type PostgresStoreOptions } from './PostgresStore';
import { RedisStore, type RedisStoreOptions } from './RedisStore';

export interface EmbeddedStoreConfig {
	backend: 'embedded';
	/** Defaults to `defaultEmbeddedStorePath()`. */
	path?: string;
	/** Defaults to `$HYBRID_SYNC_STORE_MAX_ENTRIES`, else the store's own bound. */
	maxEntries?: number;
}

/** Connection settings as RedisStoreOptions documents them. */
export type RedisStoreConfig = { backend: 'redis' } & Omit<RedisStoreOptions, 'clock'>;

/** Connection settings as PostgresStoreOptions documents them. */
export type PostgresStoreConfig = { backend: 'postgres' } & Omit<PostgresStoreOptions, 'clock'>;

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

/**
 * The embedded store's bound unless configured: `$HYBRID_SYNC_STORE_MAX_ENTRIES` (the only place a
 * user can raise it, since the nodes offer no setting), else undefined for the store's default.
 */
export function defaultEmbeddedMaxEntries(): number | undefined {
	const configured = process.env.HYBRID_SYNC_STORE_MAX_ENTRIES;
	return configured ? Number(configured) : undefined;
}

const openStores = new Map<string, IdempotencyStore>();

/**
 * The store for a configuration, shared by every caller in this process: nodes call this on every
 * execution, and one connection (or pool) per configuration is all they need.
 * Shared stores stay open for the life of the process; only `closeAllStores` closes them.
 */
export function openStore(config: StoreConfig, logger?: StoreLogger): IdempotencyStore {
	const { identity, create } = resolveConfig(config);
	let store = openStores.get(identity);
	if (!store) {
		store = create(logger);
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

/** Equal settings give equal identities, whatever order their fields came in. */
function identityOf(settings: object): string {
	const fields = Object.entries(settings).filter(([, value]) => value !== undefined);
	return JSON.stringify(fields.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * `create` takes the logger of the first caller: n8n's node loggers all write to n8n's one log,
 * so the store a process shares may keep it.
 */
function resolveConfig(config: StoreConfig): {
	identity: string;
	create: (logger?: StoreLogger) => IdempotencyStore;
} {
	switch (config?.backend) {
		case 'embedded': {
			const path = resolve(config.path || defaultEmbeddedStorePath());
			const options = { path, maxEntries: config.maxEntries ?? defaultEmbeddedMaxEntries() };
			return {
				identity: identityOf({ backend: config.backend, ...options }),
				create: (logger) => new EmbeddedStore({ ...options, logger }),
			};
		}
		case 'redis':
			return { identity: identityOf(config), create: () => new RedisStore(config) };
		case 'postgres':
			return { identity: identityOf(config), create: () => new PostgresStore(config) };
		default:
			throw new StoreError(
				`Unknown store backend "${String((config as { backend?: unknown } | undefined)?.backend)}"`,
				'invalidConfig',
			);
	}
}
