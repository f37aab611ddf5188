import { createHash } from 'crypto';

import { decodeStrict, signaturesEqual } from './compare';
import { requireSignatureHeader } from './headers';
import { hmac } from './hmac';
import {
	SignatureVerificationError,
	type SignedRequest,
	type VerifiedDelivery,
	type VerifyOptions,
} from './types';
import { verifyWithAnySecret } from './verifyWithAnySecret';

/**
 * Twilio: base64 HMAC-SHA1 (key = auth token) of the full URL followed by the POST parameters
 * sorted by name as name+value. A JSON body is not signed itself: the URL carries its SHA-256 in
 * `bodySHA256`, and the signature covers the URL alone.
 */
export function verifyTwilioSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	const signature = requireSignatureHeader(request, 'x-twilio-signature', '', 'base64');
	const bodyHash = queryParameter(request.url, 'bodySHA256');
	const params = bodyHash === undefined ? sortedFormParameters(request.rawBody) : '';
	const urls = urlVariants(request.url);
	const secret = verifyWithAnySecret(options.secrets, (authToken) =>
		urls.some((url) => signaturesEqual(hmac('sha1', authToken, [url, params]), signature)),
	);
	if (bodyHash !== undefined && !bodyMatches(request.rawBody, bodyHash)) {
		throw new SignatureVerificationError(
			'Body does not match the bodySHA256 URL parameter',
			'signatureMismatch',
		);
	}
	return { secret };
}

function queryParameter(url: string, name: string): string | undefined {
	const query = url.split('#')[0].split('?')[1];
	return query === undefined ? undefined : (new URLSearchParams(query).get(name) ?? undefined);
}

/** Repeated names: each distinct value once, values sorted, as Twilio's own SDK does. */
function sortedFormParameters(body: Buffer): string {
	const values = new Map<string, Set<string>>();
	for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
		values.set(name, (values.get(name) ?? new Set<string>()).add(value));
	}
	// Names are unique, so the comparator never sees a tie.
	const byName = [...values].sort(([a], [b]) => (a < b ? -1 : 1));
	return byName
		.map(([name, distinct]) =>
			[...distinct]
				.sort()
				.map((value) => name + value)
				.join(''),
		)
		.join('');
}

/**
 * Twilio signs the URL as configured, with or without the port, and proxies add or drop it: try
 * both forms, as Twilio's SDK does.
 */
function urlVariants(url: string): string[] {
	const match = /^(https?):\/\/((?:[^/?#@]*@)?[^/?#:@]+)(:\d+)?(.*)$/i.exec(url);
	if (match === null) return [url];
	const [, scheme, host, port, rest] = match;
	const defaultPort = scheme.toLowerCase() === 'https' ? ':443' : ':80';
	return [url, `${scheme}://${host}${port === undefined ? defaultPort : ''}${rest}`];
}

function bodyMatches(body: Buffer, expectedHex: string): boolean {
	const expected = decodeStrict(expectedHex, 'hex');
	return (
		expected !== undefined && signaturesEqual(createHash('sha256').update(body).digest(), expected)
	);
}
