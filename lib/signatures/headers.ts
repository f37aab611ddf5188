import { headerValue } from '../envelope';
import { decodeStrict, type SignatureEncoding } from './compare';
import { SignatureVerificationError, type SignedRequest } from './types';

export function requireHeader(request: SignedRequest, name: string): string {
	const value = headerValue(request.headers, name);
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
