import { createPublicKey, verify, type KeyObject } from 'crypto';

import { decodeStrict } from './compare';
import { requireHeader, requireSignatureHeader } from './headers';
import { keyCache } from './keyCache';
import { assertFresh, parseTimestamp } from './timestamp';
import {
	SignatureVerificationError,
	type SignedRequest,
	type VerifiedDelivery,
	type VerifyOptions,
} from './types';
import { verifyWithAnyKey } from './verifyWithAnySecret';

const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/**
 * SendGrid Event Webhook: ECDSA P-256 / SHA-256 over `{timestamp}{body}`, base64 DER signature,
 * verified with the public key from the SendGrid settings. SendGrid documents no freshness window,
 * but the timestamp is signed, so the tolerance applies as for every timestamped scheme: a captured
 * delivery cannot be replayed later. An infinite tolerance turns the check off.
 */
export function verifySendgridSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	const signature = requireSignatureHeader(request, SIGNATURE_HEADER, '', 'base64');
	const timestampText = requireHeader(request, TIMESTAMP_HEADER);
	const timestampSeconds = parseTimestamp(timestampText, TIMESTAMP_HEADER);
	assertFresh(timestampSeconds, options);
	// crypto.verify takes one buffer; the copy is small next to an ECDSA verification.
	const signed = Buffer.concat([Buffer.from(timestampText), request.rawBody]);
	const secret = verifyWithAnyKey(options.secrets, toP256PublicKey, (key) =>
		verify('sha256', signed, key, signature),
	);
	return { timestampSeconds, secret };
}

function toP256PublicKey(secret: string, position: number): KeyObject {
	const key = p256PublicKey(secret);
	if (key === undefined) {
		throw new SignatureVerificationError(
			`Secret #${position} is not a P-256 public key (base64 DER SPKI, as shown by SendGrid)`,
			'invalidSecret',
		);
	}
	return key;
}

/** The base64 DER (SPKI) key as SendGrid shows it, or the same key as PEM; parsed once per key. */
const p256PublicKey = keyCache((secret) => {
	const key = parsePublicKey(secret.trim());
	return key?.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : undefined;
});

function parsePublicKey(text: string): KeyObject | undefined {
	try {
		if (text.startsWith('-----BEGIN')) return createPublicKey(text);
		const der = decodeStrict(text, 'base64');
		return der && createPublicKey({ key: der, format: 'der', type: 'spki' });
	} catch {
		return undefined;
	}
}
