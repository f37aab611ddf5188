/**
 * Values kept per key for a bounded time: what n8n charges for (a decrypted credential costs an
 * expression isolate per read) is read once per key and period, and a changed or revoked value is
 * read again within `ttlMs`. A failed load is not kept. Bounded in size: keys are credential ids.
 */
export class ExpiringCache<Value> {
	private readonly entries = new Map<string, { value: Promise<Value>; expiresAt: number }>();

	constructor(
		readonly ttlMs: number,
		private readonly clock: () => number = Date.now,
		private readonly maxEntries = 256,
	) {}

	async get(key: string, load: () => Promise<Value>): Promise<Value> {
		if (this.ttlMs <= 0) return await load();
		const now = this.clock();
		const cached = this.entries.get(key);
		if (cached && cached.expiresAt > now) return await cached.value;
		if (this.entries.size >= this.maxEntries) this.dropExpired(now);
		if (this.entries.size >= this.maxEntries) this.entries.clear();
		const value = load();
		const entry = { value, expiresAt: now + this.ttlMs };
		this.entries.set(key, entry);
		try {
			return await value;
		} catch (error) {
			if (this.entries.get(key) === entry) this.entries.delete(key);
			throw error;
		}
	}

	private dropExpired(now: number): void {
		for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
	}
}

/** Default for credentials: short enough that a revoked secret stops verifying within a minute. */
export const DEFAULT_CREDENTIAL_CACHE_SECONDS = 60;
export const MAX_CREDENTIAL_CACHE_SECONDS = 600;

/**
 * The cache time from `HYBRID_SYNC_CREDENTIAL_CACHE_SECONDS` (0 turns caching off); an unreadable
 * or out-of-range value falls back to the default rather than caching for long.
 */
export function credentialCacheSeconds(setting: string | undefined): number {
	if (setting === undefined || setting.trim() === '') return DEFAULT_CREDENTIAL_CACHE_SECONDS;
	const seconds = Number(setting);
	return Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_CREDENTIAL_CACHE_SECONDS
		? seconds
		: DEFAULT_CREDENTIAL_CACHE_SECONDS;
}
