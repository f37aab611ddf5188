import { timingSafeEqual } from 'crypto';

export type SignatureEncoding = 'hex' | 'base64';

/**
 * Decodes hex or padded base64, or answers undefined when the text holds anything else. Node's
 * decoder silently drops what it cannot read ("<valid hex>z" would decode to the valid
 * signature), so the decoded length must be the one the text's length promises.
 */
export function decodeStrict(text: string, encoding: SignatureEncoding): Buffer | undefined {
	const bytes = Buffer.from(text, encoding);
	const complete =
		encoding === 'hex'
			? bytes.length * 2 === text.length
			: text.length % 4 === 0 && bytes.length === Buffer.byteLength(text, 'base64');
	return complete && bytes.length > 0 ? bytes : undefined;
}

/** Bytes against bytes; the length is no secret (it is the digest size), the content is. */
export function signaturesEqual(expected: Buffer, received: Buffer): boolean {
	return expected.length === received.length && timingSafeEqual(expected, received);
}
