import { createHmac, type BinaryLike, type KeyObject } from 'crypto';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

/**
 * Feeds the parts one by one: concatenating them first would copy the body for nothing.
 * `digest()` allocates its Buffer outside Node's pool, which costs more than the HMAC of a
 * small body; the binary (latin1) string copied into a pooled Buffer is the same bytes, faster.
 */
export function hmac(
	algorithm: HmacAlgorithm,
	key: BinaryLike | KeyObject,
	parts: ReadonlyArray<string | Buffer>,
): Buffer {
	const mac = createHmac(algorithm, key);
	for (const part of parts) mac.update(part);
	return Buffer.from(mac.digest('binary'), 'latin1');
}
