import { createHmac, randomBytes } from 'crypto';

import { verifyStandardWebhooksSignature } from '../../../lib/signatures';
import { expectRejection, JSON_BODY, NOW, verifier, withHeader } from './helpers';

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const SECRET = newSecret();
const OLD_SECRET = newSecret();
const ID = 'msg_2Zk3vKq8t1XyR0mH7uJ9';

/** The construction from the Standard Webhooks spec, written out independently of the library. */
function sign(secret: string, id: string, timestamp: number, body: string): string {
	const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
	return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

const SIGNATURE = sign(SECRET, ID, NOW, JSON_BODY);
const HEADERS = {
	'webhook-id': ID,
	'webhook-timestamp': String(NOW),
	'webhook-signature': `v1,${SIGNATURE}`,
};
const LEAKS = [SECRET, SECRET.slice('whsec_'.length), OLD_SECRET, SIGNATURE];
const verify = verifier(verifyStandardWebhooksSignature, {
	body: JSON_BODY,
	headers: HEADERS,
	secrets: [SECRET],
});

describe('verifyStandardWebhooksSignature', () => {
	describe('published vector (standard-webhooks javascript tests)', () => {
		// eslint-disable-next-line @n8n/community-nodes/no-hardcoded-secrets -- the library's published vector
		const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
		const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
		const timestamp = 1614265330;
		const body = '{"test": 2432232314}';
		const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
		const headers = {
			'webhook-id': id,
			'webhook-timestamp': String(timestamp),
			'webhook-signature': signature,
		};
		const verifyVector = verifier(verifyStandardWebhooksSignature, {
			body,
			headers,
			secrets: [secret],
			nowSeconds: timestamp,
		});

		it('is the signature the test builds itself', () => {
			expect(`v1,${sign(secret, id, timestamp, body)}`).toBe(signature);
		});

		it('accepts the secret without its whsec_ prefix', () => {
			expect(() => verifyVector({ secrets: [secret.slice('whsec_'.length)] })).not.toThrow();
		});

		it('passes when any v1 entry matches: v1,<wrong> v2,<x> v1,<right>', () => {
			const wrong = sign(newSecret(), id, timestamp, body);
			const list = `v1,${wrong} v2,${wrong} ${signature}`;
			expect(() =>
				verifyVector({ headers: withHeader(headers, 'webhook-signature', list) }),
			).not.toThrow();
		});
	});

	it('accepts a timestamp exactly at the tolerance', () => {
		expect(() => verify({ nowSeconds: NOW + 300 })).not.toThrow();
	});

	it('rejects a signature made for another message id', () => {
		const headers = withHeader(HEADERS, 'webhook-id', 'msg_other');
		expectRejection(() => verify({ headers }), 'signatureMismatch', LEAKS);
	});

	it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
		'rejects a missing %s header',
		(name) => {
			const headers = withHeader(HEADERS, name, undefined);
			const error = expectRejection(() => verify({ headers }), 'missingHeader', LEAKS);
			expect(error.message).toBe(`Missing required header "${name}"`);
		},
	);

	it('rejects a signature header without any v1 entry', () => {
		const headers = withHeader(HEADERS, 'webhook-signature', `v2,${SIGNATURE}`);
		expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
	});

	it('rejects a timestamp that is not a Unix timestamp', () => {
		const headers = withHeader(HEADERS, 'webhook-timestamp', '2023-11-14T22:13:20Z');
		const error = expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
		expect(error.message).toBe('Header "webhook-timestamp" is not a Unix timestamp');
	});

	it('rejects a configured secret that is not base64, even behind a matching one', () => {
		const secrets = [SECRET, 'whsec_not base64!'];
		const error = expectRejection(() => verify({ secrets }), 'invalidSecret', LEAKS);
		expect(error.message).toContain('Secret #2');
	});
});
