import { generateKeyPairSync, sign as ecdsaSign, type KeyObject } from 'crypto';

import { verifySendgridSignature } from '../../../lib/signatures';
import { expectRejection, NOW, options, signedRequest, verifier, withHeader } from './helpers';

const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

function newKeyPair(): { publicKey: string; privateKey: KeyObject } {
	const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	return {
		publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
		privateKey,
	};
}

/** SendGrid's construction: ECDSA P-256 / SHA-256 over `{timestamp}{body}`, base64 DER. */
function sign(privateKey: KeyObject, timestamp: number, body: string): string {
	return ecdsaSign('sha256', Buffer.from(`${timestamp}${body}`), privateKey).toString('base64');
}

const KEYS = newKeyPair();
const BODY =
	'[{"email": "a@example.com", "event": "delivered", "sg_event_id": "sg_1", "timestamp": 1700000000}]';
const SIGNATURE = sign(KEYS.privateKey, NOW, BODY);
const HEADERS = { [SIGNATURE_HEADER]: SIGNATURE, [TIMESTAMP_HEADER]: String(NOW) };
const LEAKS = [KEYS.publicKey, SIGNATURE];
const verify = verifier(verifySendgridSignature, {
	body: BODY,
	headers: HEADERS,
	secrets: [KEYS.publicKey],
});

describe('verifySendgridSignature', () => {
	it('refuses a signed timestamp outside the tolerance, in the past or the future', () => {
		expectRejection(() => verify({ nowSeconds: NOW + 301 }), 'timestampTooOld', LEAKS);
		expectRejection(() => verify({ nowSeconds: NOW - 301 }), 'timestampInFuture', LEAKS);
	});

	it('accepts any age when the tolerance is turned off (Infinity)', () => {
		expect(() =>
			verifySendgridSignature(
				signedRequest(BODY, HEADERS),
				options([KEYS.publicKey], { toleranceSeconds: Infinity, nowSeconds: NOW + 86_400 }),
			),
		).not.toThrow();
	});

	it('accepts the public key as PEM', () => {
		const pem = `-----BEGIN PUBLIC KEY-----\n${KEYS.publicKey}\n-----END PUBLIC KEY-----\n`;
		expect(() => verify({ secrets: [pem] })).not.toThrow();
	});

	it('rejects a timestamp changed after signing', () => {
		const headers = withHeader(HEADERS, TIMESTAMP_HEADER, String(NOW + 1));
		expectRejection(() => verify({ headers }), 'signatureMismatch', LEAKS);
	});

	it.each([SIGNATURE_HEADER, TIMESTAMP_HEADER])('rejects a missing %s header', (name) => {
		const headers = withHeader(HEADERS, name, undefined);
		expectRejection(() => verify({ headers }), 'missingHeader', LEAKS);
	});

	it('rejects a valid base64 value that is no DER signature', () => {
		const headers = withHeader(
			HEADERS,
			SIGNATURE_HEADER,
			Buffer.from('not a signature').toString('base64'),
		);
		expectRejection(() => verify({ headers }), 'signatureMismatch', LEAKS);
	});

	it('rejects a timestamp that is not a number', () => {
		const headers = withHeader(HEADERS, TIMESTAMP_HEADER, 'now');
		expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
	});

	it('rejects a secret that is not a public key', () => {
		const error = expectRejection(() => verify({ secrets: ['c2VjcmV0'] }), 'invalidSecret', LEAKS);
		expect(error.message).toContain('Secret #1');
	});

	it('rejects a public key on another curve', () => {
		const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
		const p384 = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
		expectRejection(() => verify({ secrets: [p384] }), 'invalidSecret', LEAKS);
	});
});
