import { createHmac, randomUUID } from 'crypto';

import { verifyHubspotSignature } from '../../../lib/signatures';
import { expectRejection, NOW, reserialised, verifier, withHeader } from './helpers';

const newSecret = () => randomUUID();
const SECRET = newSecret();
const OLD_SECRET = newSecret();
const URL = 'https://n8n.example.com/webhook/hubspot?portal=62515';
const NOW_MS = NOW * 1000;
const BODY = '[{"eventId": 100, "subscriptionType": "contact.creation", "objectId": 123}]';

/** HubSpot v3: base64 HMAC-SHA256 of method + URI + body + timestamp (ms). */
function sign(
	secret: string,
	method: string,
	url: string,
	body: string,
	timestampMs: number,
): string {
	return createHmac('sha256', secret)
		.update(`${method}${url}${body}${timestampMs}`)
		.digest('base64');
}

const SIGNATURE = sign(SECRET, 'POST', URL, BODY, NOW_MS);
const HEADERS = {
	'x-hubspot-signature-v3': SIGNATURE,
	'x-hubspot-request-timestamp': String(NOW_MS),
};
const LEAKS = [SECRET, OLD_SECRET, SIGNATURE];
const verify = verifier(verifyHubspotSignature, {
	body: BODY,
	headers: HEADERS,
	url: URL,
	secrets: [SECRET],
});

describe('verifyHubspotSignature', () => {
	it('verifies a payload signed in the test and returns the timestamp in seconds', () => {
		expect(verify()).toEqual({ timestampSeconds: NOW, secret: SECRET });
	});

	it('keeps the milliseconds of the timestamp', () => {
		const timestampMs = NOW_MS - 250;
		const headers = {
			'x-hubspot-signature-v3': sign(SECRET, 'POST', URL, BODY, timestampMs),
			'x-hubspot-request-timestamp': String(timestampMs),
		};
		expect(verify({ headers })).toEqual({ timestampSeconds: NOW - 0.25, secret: SECRET });
	});

	it('verifies with the previous secret in second position (rotation)', () => {
		const headers = withHeader(
			HEADERS,
			'x-hubspot-signature-v3',
			sign(OLD_SECRET, 'POST', URL, BODY, NOW_MS),
		);
		expect(() => verify({ headers, secrets: [SECRET, OLD_SECRET] })).not.toThrow();
	});

	it('accepts a timestamp exactly 300000 ms old', () => {
		expect(() => verify({ nowSeconds: NOW + 300 })).not.toThrow();
	});

	it('rejects a timestamp 300001 ms old (tolerance applied in ms)', () => {
		const error = expectRejection(
			() => verify({ nowSeconds: NOW + 300.001 }),
			'timestampTooOld',
			LEAKS,
		);
		expect(error.message).toBe('Message timestamp too old (301 s > 300 s tolerance)');
	});

	it('rejects a timestamp in the future', () => {
		expectRejection(() => verify({ nowSeconds: NOW - 300.001 }), 'timestampInFuture', LEAKS);
	});

	it('rejects a delivery checked against another URL', () => {
		const url = URL.replace('62515', '62516');
		expectRejection(() => verify({ url }), 'signatureMismatch', LEAKS);
	});

	it('rejects another method', () => {
		expectRejection(() => verify({ method: 'PUT' }), 'signatureMismatch', LEAKS);
	});

	it('rejects a wrong secret', () => {
		expectRejection(() => verify({ secrets: [newSecret()] }), 'signatureMismatch', LEAKS);
	});

	it('rejects a tampered body', () => {
		expectRejection(() => verify({ body: BODY.replace('123', '124') }), 'signatureMismatch', LEAKS);
	});

	it('rejects re-serialised JSON', () => {
		expectRejection(() => verify({ body: reserialised(BODY) }), 'signatureMismatch', LEAKS);
	});

	it.each(['x-hubspot-signature-v3', 'x-hubspot-request-timestamp'])(
		'rejects a missing %s header',
		(name) => {
			const headers = withHeader(HEADERS, name, undefined);
			expectRejection(() => verify({ headers }), 'missingHeader', LEAKS);
		},
	);

	it('rejects a timestamp that is not a number', () => {
		const headers = withHeader(HEADERS, 'x-hubspot-request-timestamp', 'yesterday');
		expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
	});
});
