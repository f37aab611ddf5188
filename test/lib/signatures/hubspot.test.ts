import { createHmac, randomUUID } from 'crypto';

import { decodeHubspotUri, verifyHubspotSignature } from '../../../lib/signatures';
import { expectRejection, NOW, verifier, withHeader } from './helpers';

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
	it('keeps the milliseconds of the timestamp', () => {
		const timestampMs = NOW_MS - 250;
		const headers = {
			'x-hubspot-signature-v3': sign(SECRET, 'POST', URL, BODY, timestampMs),
			'x-hubspot-request-timestamp': String(timestampMs),
		};
		expect(verify({ headers })).toEqual({ timestampSeconds: NOW - 0.25, secret: SECRET });
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

describe('decodeHubspotUri', () => {
	it("decodes the escapes listed in HubSpot's request-validation docs, in either case", () => {
		expect(
			decodeHubspotUri('https://x.example/h?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%3a%2f'),
		).toBe("https://x.example/h?a=:/?@!$'()*,;&b=:/");
	});

	it('leaves every other escape as sent', () => {
		const url = 'https://x.example/h?q=a%20b%3Dc%26d%25e';
		expect(decodeHubspotUri(url)).toBe(url);
	});

	it('verifies a delivery whose URL holds encoded characters, signed over the decoded URI', () => {
		const sent = `${URL}&next=%2Fdeals%3Fid%3D7`;
		const signedOver = `${URL}&next=/deals?id%3D7`;
		const headers = {
			...HEADERS,
			'x-hubspot-signature-v3': sign(SECRET, 'POST', signedOver, BODY, NOW_MS),
		};
		expect(verify({ url: sent, headers }).secret).toBe(SECRET);
	});
});
