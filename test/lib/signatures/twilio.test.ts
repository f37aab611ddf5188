import { createHash, createHmac, randomBytes } from 'crypto';

import { verifyTwilioSignature } from '../../../lib/signatures';
import { expectRejection, reserialised, verifier } from './helpers';

const newToken = () => randomBytes(16).toString('hex');

/** Twilio's construction: base64 HMAC-SHA1 of the URL + each parameter, sorted by name, as name+value. */
function sign(authToken: string, url: string, params: Array<[string, string]> = []): string {
	const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	const data = sorted.reduce((text, [name, value]) => text + name + value, url);
	return createHmac('sha1', authToken).update(data).digest('base64');
}

const header = (value: string) => ({ 'x-twilio-signature': value });

describe('verifyTwilioSignature', () => {
	describe('form body', () => {
		// Published vector (twilio-php docs).
		const token = '12345';
		const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
		const params: Array<[string, string]> = [
			['CallSid', 'CA1234567890ABCDE'],
			['Caller', '+14158675309'],
			['Digits', '1234'],
			['From', '+14158675309'],
			['To', '+18005551212'],
		];
		const signature = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
		const body = new URLSearchParams(params).toString();
		const LEAKS = [token, signature];
		const verify = verifier(verifyTwilioSignature, {
			body,
			headers: header(signature),
			url,
			secrets: [token],
		});

		it('is the signature the test builds itself', () => {
			expect(sign(token, url, params)).toBe(signature);
		});

		it('verifies parameters posted in any order', () => {
			expect(() =>
				verify({ body: new URLSearchParams([...params].reverse()).toString() }),
			).not.toThrow();
		});

		it('verifies a repeated parameter: each distinct value once, values sorted', () => {
			const repeated: Array<[string, string]> = [
				['MediaUrl', 'https://b.example'],
				['MediaUrl', 'https://a.example'],
				['MediaUrl', 'https://a.example'],
			];
			const data = url + 'MediaUrlhttps://a.example' + 'MediaUrlhttps://b.example';
			const expected = createHmac('sha1', token).update(data).digest('base64');
			expect(() =>
				verify({ body: new URLSearchParams(repeated).toString(), headers: header(expected) }),
			).not.toThrow();
		});

		it('verifies when Twilio signed the URL with the default port and the request URL has none', () => {
			const signedWithPort = sign(token, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', params);
			expect(() => verify({ headers: header(signedWithPort) })).not.toThrow();
		});

		it('verifies when the request URL has a port that Twilio did not sign', () => {
			expect(() =>
				verify({ url: 'https://mycompany.com:8443/myapp.php?foo=1&bar=2' }),
			).not.toThrow();
		});

		it('rejects another URL', () => {
			expectRejection(
				() => verify({ url: url.replace('foo=1', 'foo=2') }),
				'signatureMismatch',
				LEAKS,
			);
		});
	});

	it('verifies an http URL without query that Twilio signed with port 80', () => {
		const token = newToken();
		const body = 'MessageSid=SM1&Body=hello';
		const params: Array<[string, string]> = [
			['MessageSid', 'SM1'],
			['Body', 'hello'],
		];
		const headers = header(sign(token, 'http://sms.example.com:80/inbound', params));
		const verify = verifier(verifyTwilioSignature, {
			body,
			headers,
			url: 'http://sms.example.com/inbound',
			secrets: [token],
		});
		expect(verify()).toEqual({ secret: token });
	});

	it('checks a URL it cannot split into scheme, host and port exactly as given', () => {
		const token = newToken();
		const url = 'urn:twilio:callback';
		const headers = header(sign(token, url, [['Body', 'hi']]));
		const verify = verifier(verifyTwilioSignature, {
			body: 'Body=hi',
			headers,
			url,
			secrets: [token],
		});
		expect(verify()).toEqual({ secret: token });
	});

	describe('JSON body (bodySHA256 in the URL)', () => {
		// Vector from twilio-node's webhook tests; the test recomputes both values below.
		const token = '12345';
		const body = '{"property": "value", "boolean": true}';
		const bodyHash = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';
		const url = `https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=${bodyHash}`;
		const signature = 'a9nBmqA0ju/hNViExpshrM61xv4=';
		const LEAKS = [token, signature];
		const verify = verifier(verifyTwilioSignature, {
			body,
			headers: header(signature),
			url,
			secrets: [token],
		});

		it('verifies: the signature covers the URL, the URL carries the body hash', () => {
			expect(createHash('sha256').update(body).digest('hex')).toBe(bodyHash);
			expect(sign(token, url)).toBe(signature);
			expect(verify()).toEqual({ secret: token });
		});

		it('rejects a tampered body', () => {
			const error = expectRejection(
				() => verify({ body: body.replace('true', 'false') }),
				'signatureMismatch',
				LEAKS,
			);
			expect(error.message).toBe('Body does not match the bodySHA256 URL parameter');
		});

		it('rejects re-serialised JSON', () => {
			expectRejection(() => verify({ body: reserialised(body) }), 'signatureMismatch', LEAKS);
		});

		it('rejects a body hash changed in the URL', () => {
			const forged = url.replace(bodyHash, createHash('sha256').update('{}').digest('hex'));
			expectRejection(() => verify({ body: '{}', url: forged }), 'signatureMismatch', LEAKS);
		});
	});
});
