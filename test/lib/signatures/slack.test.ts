import { createHmac, randomBytes } from 'crypto';

import { verifySlackSignature } from '../../../lib/signatures';
import { expectRejection, JSON_BODY, NOW, reserialised, verifier, withHeader } from './helpers';

const newSecret = () => randomBytes(16).toString('hex');
const SECRET = newSecret();
const OLD_SECRET = newSecret();

/** Slack's construction: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`. */
function sign(secret: string, timestamp: number, body: string): string {
	return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

const SIGNATURE = sign(SECRET, NOW, JSON_BODY);
const HEADERS = { 'x-slack-signature': SIGNATURE, 'x-slack-request-timestamp': String(NOW) };
const LEAKS = [SECRET, OLD_SECRET, SIGNATURE.slice('v0='.length)];
const verify = verifier(verifySlackSignature, {
	body: JSON_BODY,
	headers: HEADERS,
	secrets: [SECRET],
});

describe('verifySlackSignature', () => {
	it('verifies the published vector (Slack docs, "Verifying requests from Slack")', () => {
		// eslint-disable-next-line @n8n/community-nodes/no-hardcoded-secrets -- Slack's published example
		const secret = '8f742231b10e8888abcd99yyyzzz85a5';
		const timestamp = 1531420618;
		const body =
			'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
		const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
		expect(sign(secret, timestamp, body)).toBe(signature);
		const headers = {
			'x-slack-signature': signature,
			'x-slack-request-timestamp': String(timestamp),
		};
		expect(verify({ body, headers, secrets: [secret], nowSeconds: timestamp + 10 })).toEqual({
			timestampSeconds: timestamp,
			secret,
		});
	});

	it('verifies a payload signed in the test and returns the signed timestamp', () => {
		expect(verify()).toEqual({ timestampSeconds: NOW, secret: SECRET });
	});

	it('verifies with the previous secret in second position (rotation)', () => {
		const headers = withHeader(HEADERS, 'x-slack-signature', sign(OLD_SECRET, NOW, JSON_BODY));
		expect(() => verify({ headers, secrets: [SECRET, OLD_SECRET] })).not.toThrow();
	});

	it('rejects a wrong secret', () => {
		expectRejection(() => verify({ secrets: [newSecret()] }), 'signatureMismatch', LEAKS);
	});

	it('rejects a tampered body', () => {
		expectRejection(
			() => verify({ body: JSON_BODY.replace('paid', 'void') }),
			'signatureMismatch',
			LEAKS,
		);
	});

	it('rejects re-serialised JSON', () => {
		expectRejection(() => verify({ body: reserialised(JSON_BODY) }), 'signatureMismatch', LEAKS);
	});

	it('rejects a timestamp header changed after signing', () => {
		const headers = withHeader(HEADERS, 'x-slack-request-timestamp', String(NOW - 1));
		expectRejection(() => verify({ headers }), 'signatureMismatch', LEAKS);
	});

	it.each(['x-slack-signature', 'x-slack-request-timestamp'])(
		'rejects a missing %s header',
		(name) => {
			const headers = withHeader(HEADERS, name, undefined);
			const error = expectRejection(() => verify({ headers }), 'missingHeader', LEAKS);
			expect(error.message).toBe(`Missing required header "${name}"`);
		},
	);

	it('rejects a signature without the v0= prefix', () => {
		const headers = withHeader(HEADERS, 'x-slack-signature', SIGNATURE.replace('v0=', 'v1='));
		expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
	});

	it('rejects a stale timestamp', () => {
		expectRejection(() => verify({ nowSeconds: NOW + 301 }), 'timestampTooOld', LEAKS);
	});

	it('rejects a timestamp in the future', () => {
		expectRejection(() => verify({ nowSeconds: NOW - 301 }), 'timestampInFuture', LEAKS);
	});
});
