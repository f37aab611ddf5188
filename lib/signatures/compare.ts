import { timingSafeEqual } from 'crypto';

export type SignatureEncoding = 'hex' | 'base64';

/**
 * Decodes hex or padded base64, or answers undefined. Strict on purpose: Node's decoder silently
 * drops what it cannot read, so "<valid hex>z" would otherwise decode to the valid signature.
 */
export function decodeStrict(text: string, encoding: SignatureEncoding): Buffer | undefined {
	const bytes = Buffer.from(text, encoding);
	const canonical =
		encoding === 'hex' ? bytes.length * 2 === text.length : bytes.toString('base64') === text;
	return canonical && bytes.length > 0 ? bytes : undefined;
}

/** Bytes against bytes; the length is no secret (it is the digest size), the content is. */
export function signaturesEqual(expected: Buffer, received: Buffer): boolean {
	return expected.length === received.length && timingSafeEqual(expected, received);
}
