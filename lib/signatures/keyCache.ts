import type { KeyObject } from 'crypto';

const MAX_CACHED_KEYS = 64;

/**
 * Memoises `derive` per secret, so each secret becomes a KeyObject once: a string HMAC key is
 * re-encoded on every call, Node 24 checks a Buffer key by throwing and catching (about 10 µs per
 * HMAC), and parsing a public key costs more than verifying with it. Bounded, because secrets
 * rotate; an unusable secret (undefined) is not kept.
 */
export function keyCache<Key extends KeyObject | undefined>(
	derive: (secret: string) => Key,
): (secret: string) => Key {
	const keys = new Map<string, Key>();
	return (secret) => {
		const cached = keys.get(secret);
		if (cached !== undefined) return cached;
		const key = derive(secret);
		if (key !== undefined) {
			if (keys.size >= MAX_CACHED_KEYS) keys.clear();
			keys.set(secret, key);
		}
		return key;
	};
}
