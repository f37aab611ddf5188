import { createHmac, randomBytes } from 'crypto';

import { verifyShopifySignature } from '../../../lib/signatures';
import { expectRejection, JSON_BODY, reserialised, verifier } from './helpers';

const newSecret = () => randomBytes(32).toString('hex');
const SECRET = newSecret();
const OLD_SECRET = newSecret();

/** Shopify's construction: base64 HMAC-SHA256 of the body. */
function sign(secret: string, body: string): string {
	return createHmac('sha256', secret).update(body).digest('base64');
}

const SIGNATURE = sign(SECRET, JSON_BODY);
const LEAKS = [SECRET, OLD_SECRET, SIGNATURE];
const verify = verifier(verifyShopifySignature, {
	body: JSON_BODY,
	headers: { 'x-shopify-hmac-sha256': SIGNATURE },
	secrets: [SECRET],
});

describe('verifyShopifySignature', () => {
	it('verifies a payload signed in the test', () => {
		expect(verify()).toEqual({});
	});

	it('verifies with the previous secret in second position (rotation)', () => {
		const headers = { 'x-shopify-hmac-sha256': sign(OLD_SECRET, JSON_BODY) };
		expect(() => verify({ headers, secrets: [SECRET, OLD_SECRET] })).not.toThrow();
	});

	it('rejects a wrong secret', () => {
		expectRejection(() => verify({ secrets: [newSecret()] }), 'signatureMismatch', LEAKS);
	});

	it('rejects a tampered body', () => {
		expectRejection(
			() => verify({ body: JSON_BODY.replace('invoice', 'order') }),
			'signatureMismatch',
			LEAKS,
		);
	});

	it('rejects re-serialised JSON', () => {
		expectRejection(() => verify({ body: reserialised(JSON_BODY) }), 'signatureMismatch', LEAKS);
	});

	it('rejects a missing signature header', () => {
		const error = expectRejection(() => verify({ headers: {} }), 'missingHeader', LEAKS);
		expect(error.message).toBe('Missing required header "x-shopify-hmac-sha256"');
	});

	it('rejects a signature that is not base64', () => {
		const headers = { 'x-shopify-hmac-sha256': `${SIGNATURE.slice(0, -1)}*` };
		expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
	});
});
