import { createHmac, createSecretKey, type KeyObject } from 'crypto';

import { keyCache } from './keyCache';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

/**
 * HMAC of the parts; a string key means its UTF-8 bytes.
 * Feeds the parts one by one: concatenating them first would copy the body for nothing.
 * `digest()` allocates its Buffer outside Node's pool, which costs more than the HMAC of a
 * small body; the binary (latin1) string copied into a pooled Buffer is the same bytes, faster.
 */
export function hmac(
	algorithm: HmacAlgorithm,
	key: string | KeyObject,
	parts: ReadonlyArray<string | Buffer>,
): Buffer {
	const mac = createHmac(algorithm, typeof key === 'string' ? utf8Key(key) : key);
	for (const part of parts) mac.update(part);
	return Buffer.from(mac.digest('binary'), 'latin1');
}

const utf8Key = keyCache((secret) => createSecretKey(secret, 'utf8'));
