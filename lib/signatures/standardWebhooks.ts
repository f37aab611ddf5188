import { createSecretKey, type KeyObject } from 'crypto';

import { decodeStrict, signaturesEqual } from './compare';
import { headerValue } from '../envelope';
import { malformedHeader, requireHeader } from './headers';
import { hmac } from './hmac';
import { keyCache } from './keyCache';
import { assertFresh, parseTimestamp } from './timestamp';
import {
	SignatureVerificationError,
	type SignedRequest,
	type VerifiedDelivery,
	type VerifyOptions,
} from './types';
import { verifyWithAnyKey } from './verifyWithAnySecret';

const STANDARD = {
	id: 'webhook-id',
	timestamp: 'webhook-timestamp',
	signature: 'webhook-signature',
};
/** Svix sends the same scheme under its own header names. */
const SVIX = { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' };
const SECRET_PREFIX = 'whsec_';

export function verifyStandardWebhooksSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	const names =
		headerValue(request.headers, STANDARD.id) === undefined &&
		headerValue(request.headers, SVIX.id) !== undefined
			? SVIX
			: STANDARD;
	const id = requireHeader(request, names.id);
	const timestampText = requireHeader(request, names.timestamp);
	const signatures = parseSignatures(requireHeader(request, names.signature), names.signature);
	const timestampSeconds = parseTimestamp(timestampText, names.timestamp);
	assertFresh(timestampSeconds, options);
	const prefix = `${id}.${timestampText}.`;
	const secret = verifyWithAnyKey(options.secrets, toKey, (key) => {
		const expected = hmac('sha256', key, [prefix, request.rawBody]);
		return signatures.some((signature) => signaturesEqual(expected, signature));
	});
	return { timestampSeconds, secret };
}

/** `v1,<base64> v1,<base64>`: other versions and unreadable entries are skipped, not fatal. */
function parseSignatures(value: string, header: string): Buffer[] {
	const signatures: Buffer[] = [];
	// Scanned in place rather than split: this runs on every delivery.
	for (let start = 0; start < value.length; ) {
		const space = value.indexOf(' ', start);
		const end = space < 0 ? value.length : space;
		if (value.startsWith('v1,', start)) {
			const signature = decodeStrict(value.slice(start + 3, end), 'base64');
			if (signature !== undefined) signatures.push(signature);
		}
		start = end + 1;
	}
	if (signatures.length === 0) throw malformedHeader(header, 'has no v1 signature');
	return signatures;
}

/** The secret is base64 behind an optional `whsec_`; decoded once per secret. */
const base64Key = keyCache((secret) => {
	const trimmed = secret.trim();
	const text = trimmed.startsWith(SECRET_PREFIX) ? trimmed.slice(SECRET_PREFIX.length) : trimmed;
	const bytes = decodeStrict(text, 'base64');
	return bytes && createSecretKey(bytes);
});

function toKey(secret: string, position: number): KeyObject {
	const key = base64Key(secret);
	if (key === undefined) {
		throw new SignatureVerificationError(
			`Secret #${position} is not base64 (expected "whsec_" followed by base64)`,
			'invalidSecret',
		);
	}
	return key;
}
