import { createHmac, randomBytes } from 'crypto';

import { verifyShopifySignature, verifyWooCommerceSignature } from '../../../lib/signatures';
import { expectRejection, JSON_BODY, reserialised, verifier } from './helpers';

/** Shopify and WooCommerce sign alike: base64 HMAC-SHA256 of the raw body, in their own header. */
function sign(secret: string, body: string): string {
	return createHmac('sha256', secret).update(body).digest('base64');
}

describe.each([
	{
		scheme: 'Shopify',
		verifySignature: verifyShopifySignature,
		header: 'x-shopify-hmac-sha256',
		newSecret: () => randomBytes(32).toString('hex'),
	},
	{
		scheme: 'WooCommerce',
		verifySignature: verifyWooCommerceSignature,
		header: 'x-wc-webhook-signature',
		newSecret: () => `wc_${randomBytes(20).toString('hex')}`,
	},
])('$scheme signature', ({ verifySignature, header, newSecret }) => {
	const SECRET = newSecret();
	const OLD_SECRET = newSecret();
	const SIGNATURE = sign(SECRET, JSON_BODY);
	const LEAKS = [SECRET, OLD_SECRET, SIGNATURE];
	const verify = verifier(verifySignature, {
		body: JSON_BODY,
		headers: { [header]: SIGNATURE },
		secrets: [SECRET],
	});

	it('verifies a payload signed in the test', () => {
		expect(verify()).toEqual({ secret: SECRET });
	});

	it('verifies with the previous secret in second position (rotation)', () => {
		const headers = { [header]: sign(OLD_SECRET, JSON_BODY) };
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
		expect(error.message).toBe(`Missing required header "${header}"`);
	});

	it('rejects a signature that is not base64', () => {
		const headers = { [header]: `${SIGNATURE.slice(0, -1)}*` };
		expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
	});
});
