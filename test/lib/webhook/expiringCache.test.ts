import {
	credentialCacheSeconds,
	DEFAULT_CREDENTIAL_CACHE_SECONDS,
	ExpiringCache,
} from '../../../lib/webhook/expiringCache';

describe('ExpiringCache', () => {
	let now: number;
	let loads: number;
	const load = (value: string) => async () => {
		loads++;
		return value;
	};

	beforeEach(() => {
		now = 1_000;
		loads = 0;
	});

	it('loads a key once within the cache time', async () => {
		const cache = new ExpiringCache<string>(60_000, () => now);
		const values = [await cache.get('cred-1', load('a')), await cache.get('cred-1', load('b'))];
		expect([values, loads]).toEqual([['a', 'a'], 1]);
	});

	it('loads again once the cache time has passed (a revoked secret is read anew)', async () => {
		const cache = new ExpiringCache<string>(60_000, () => now);
		await cache.get('cred-1', load('old'));
		now += 60_000;
		expect(await cache.get('cred-1', load('new'))).toBe('new');
	});

	it('keeps keys apart', async () => {
		const cache = new ExpiringCache<string>(60_000, () => now);
		await cache.get('cred-1', load('a'));
		expect(await cache.get('cred-2', load('b'))).toBe('b');
	});

	it('shares one load between concurrent callers', async () => {
		const cache = new ExpiringCache<string>(60_000, () => now);
		await Promise.all([cache.get('cred-1', load('a')), cache.get('cred-1', load('a'))]);
		expect(loads).toBe(1);
	});

	it('does not keep a failed load', async () => {
		const cache = new ExpiringCache<string>(60_000, () => now);
		await expect(
			cache.get('cred-1', async () => {
				throw new Error('credential not found');
			}),
		).rejects.toThrow('credential not found');
		expect(await cache.get('cred-1', load('a'))).toBe('a');
	});

	it('caches nothing with a cache time of 0', async () => {
		const cache = new ExpiringCache<string>(0, () => now);
		await cache.get('cred-1', load('a'));
		await cache.get('cred-1', load('a'));
		expect(loads).toBe(2);
	});

	it('stays bounded: past the limit, older keys are dropped', async () => {
		const cache = new ExpiringCache<string>(60_000, () => now, 2);
		await cache.get('cred-1', load('a'));
		await cache.get('cred-2', load('b'));
		await cache.get('cred-3', load('c'));
		await cache.get('cred-1', load('a'));
		expect(loads).toBe(4);
	});
});

describe('credentialCacheSeconds', () => {
	it.each([
		[undefined, DEFAULT_CREDENTIAL_CACHE_SECONDS],
		['', DEFAULT_CREDENTIAL_CACHE_SECONDS],
		['0', 0],
		['3', 3],
		['600', 600],
		['601', DEFAULT_CREDENTIAL_CACHE_SECONDS],
		['-1', DEFAULT_CREDENTIAL_CACHE_SECONDS],
		['soon', DEFAULT_CREDENTIAL_CACHE_SECONDS],
	])('reads %p as %p seconds', (setting, seconds) => {
		expect(credentialCacheSeconds(setting)).toBe(seconds);
	});
});
