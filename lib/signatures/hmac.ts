import { createHmac, createSecretKey, type KeyObject } from 'crypto';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

/**
 * HMAC of the parts keyed with `secret` (its UTF-8 bytes, or the bytes its base64 text encodes).
 * Feeds the parts one by one: concatenating them first would copy the body for nothing.
 * `digest()` allocates its Buffer outside Node's pool, which costs more than the HMAC of a
 * small body; the binary (latin1) string copied into a pooled Buffer is the same bytes, faster.
 */
export function hmac(
	algorithm: HmacAlgorithm,
	secret: string,
	parts: ReadonlyArray<string | Buffer>,
	secretEncoding: 'utf8' | 'base64' = 'utf8',
): Buffer {
	const mac = createHmac(algorithm, hmacKey(secret, secretEncoding));
	for (const part of parts) mac.update(part);
	return Buffer.from(mac.digest('binary'), 'latin1');
}

/**
 * Keys are prepared once per secret: a string key is re-encoded on every HMAC, and Node 24 checks
 * a Buffer key by throwing and catching (about 10 µs per HMAC); a KeyObject skips both. The cache
 * is bounded because secrets rotate.
 */
const keyCache = { utf8: new Map<string, KeyObject>(), base64: new Map<string, KeyObject>() };
const MAX_CACHED_KEYS = 64;

function hmacKey(secret: string, encoding: 'utf8' | 'base64'): KeyObject {
	const cache = keyCache[encoding];
	let key = cache.get(secret);
	if (key === undefined) {
		if (cache.size >= MAX_CACHED_KEYS) cache.clear();
		key = createSecretKey(secret, encoding);
		cache.set(secret, key);
	}
	return key;
}
