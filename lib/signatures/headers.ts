import { decodeStrict, type SignatureEncoding } from './compare';
import { SignatureVerificationError, type SignedRequest } from './types';

/**
 * The header's first value; an empty value counts as absent. Request header names are lower-case;
 * `name` may be spelled as the user typed it (a custom scheme's setting).
 */
export function readHeader(request: SignedRequest, name: string): string | undefined {
	const value = request.headers[name] ?? request.headers[name.toLowerCase()];
	const first = Array.isArray(value) ? value[0] : value;
	return first === '' ? undefined : first;
}

export function requireHeader(request: SignedRequest, name: string): string {
	const value = readHeader(request, name);
	if (value === undefined) {
		throw new SignatureVerificationError(`Missing required header "${name}"`, 'missingHeader');
	}
	return value;
}

export function malformedHeader(name: string, problem: string): SignatureVerificationError {
	return new SignatureVerificationError(`Header "${name}" ${problem}`, 'malformedHeader');
}

/** A header holding one signature, e.g. `sha256=<hex>`, decoded to bytes. */
export function requireSignatureHeader(
	request: SignedRequest,
	name: string,
	prefix: string,
	encoding: SignatureEncoding,
): Buffer {
	const value = requireHeader(request, name);
	if (!value.startsWith(prefix)) throw malformedHeader(name, `must start with "${prefix}"`);
	const signature = decodeStrict(value.slice(prefix.length), encoding);
	if (signature === undefined) throw malformedHeader(name, `is not a ${encoding} signature`);
	return signature;
}
