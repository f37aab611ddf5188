import { decodeStrict, signaturesEqual } from './compare';
import { malformedHeader, readHeader, requireHeader } from './headers';
import { hmac } from './hmac';
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
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function verifyStandardWebhooksSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	const names =
		readHeader(request, STANDARD.id) === undefined && readHeader(request, SVIX.id) !== undefined
			? SVIX
			: STANDARD;
	const id = requireHeader(request, names.id);
	const timestampText = requireHeader(request, names.timestamp);
	const signatures = parseSignatures(requireHeader(request, names.signature), names.signature);
	const timestampSeconds = parseTimestamp(timestampText, names.timestamp);
	assertFresh(timestampSeconds, options);
	const prefix = `${id}.${timestampText}.`;
	verifyWithAnyKey(options.secrets, base64Key, (key) => {
		const expected = hmac('sha256', key, [prefix, request.rawBody], 'base64');
		return signatures.some((signature) => signaturesEqual(expected, signature));
	});
	return { timestampSeconds };
}

/** `v1,<base64> v1,<base64>`: other versions and unreadable entries are skipped, not fatal. */
function parseSignatures(value: string, header: string): Buffer[] {
	const signatures: Buffer[] = [];
	for (const entry of value.split(' ')) {
		const signature = entry.startsWith('v1,') ? decodeStrict(entry.slice(3), 'base64') : undefined;
		if (signature !== undefined) signatures.push(signature);
	}
	if (signatures.length === 0) throw malformedHeader(header, 'has no v1 signature');
	return signatures;
}

/** The key's base64 text, checked here because Node's own decoding skips what it cannot read. */
function base64Key(secret: string, position: number): string {
	const trimmed = secret.trim();
	const key = trimmed.startsWith(SECRET_PREFIX) ? trimmed.slice(SECRET_PREFIX.length) : trimmed;
	if (!BASE64.test(key) || key.length % 4 !== 0) {
		throw new SignatureVerificationError(
			`Secret #${position} is not base64 (expected "whsec_" followed by base64)`,
			'invalidSecret',
		);
	}
	return key;
}
