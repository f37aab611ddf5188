import { createHmac, type BinaryLike } from 'crypto';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** Feeds the parts one by one: concatenating them first would copy the body for nothing. */
export function hmac(
	algorithm: HmacAlgorithm,
	key: BinaryLike,
	parts: ReadonlyArray<string | Buffer>,
): Buffer {
	const mac = createHmac(algorithm, key);
	for (const part of parts) mac.update(part);
	return mac.digest();
}
