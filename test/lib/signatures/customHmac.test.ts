import { createHmac, randomBytes } from 'crypto';

import {
	verifyCustomHmacSignature,
	type CustomHmacConfig,
	type SignedRequest,
	type VerifyOptions,
} from '../../../lib/signatures';
import { expectRejection, JSON_BODY, NOW, verifier, withHeader } from './helpers';

const newSecret = () => randomBytes(24).toString('base64');
const SECRET = newSecret();
const OLD_SECRET = newSecret();
const URL = 'https://n8n.example.com/webhook/custom?tenant=7';
const ID = 'dlv_0001';

const BODY_ONLY: CustomHmacConfig = {
	signatureHeader: 'x-signature',
	algorithm: 'sha256',
	encoding: 'hex',
	signedPayloadTemplate: '{body}',
};

/** Uses every placeholder, with literal text around them. */
const FULL: CustomHmacConfig = {
	signatureHeader: 'X-Acme-Signature',
	signaturePrefix: 'sha512=',
	algorithm: 'sha512',
	encoding: 'base64',
	signedPayloadTemplate: '{method} {url}|{id}|{timestamp}|{body}',
	timestampHeader: 'X-Acme-Timestamp',
	idHeader: 'X-Acme-Delivery',
};

function sign(
	secret: string,
	algorithm: string,
	encoding: 'hex' | 'base64',
	payload: string,
): string {
	return createHmac(algorithm, secret).update(payload).digest(encoding);
}

const using = (config: CustomHmacConfig) => (request: SignedRequest, options: VerifyOptions) =>
	verifyCustomHmacSignature(request, options, config);

describe('verifyCustomHmacSignature', () => {
	describe.each([
		['sha1', 'hex'],
		['sha1', 'base64'],
		['sha256', 'hex'],
		['sha256', 'base64'],
		['sha512', 'hex'],
		['sha512', 'base64'],
	] as const)('%s, %s', (algorithm, encoding) => {
		const config = { ...BODY_ONLY, algorithm, encoding };
		const signature = sign(SECRET, algorithm, encoding, JSON_BODY);
		const verify = verifier(using(config), {
			body: JSON_BODY,
			headers: { 'x-signature': signature },
			secrets: [SECRET],
		});

		it('verifies', () => {
			expect(verify()).toEqual({ secret: SECRET });
		});

		it('rejects a tampered body', () => {
			expectRejection(() => verify({ body: `${JSON_BODY}\n` }), 'signatureMismatch', [
				SECRET,
				signature,
			]);
		});
	});

	describe('template with every placeholder, prefix and timestamp', () => {
		const payload = `POST ${URL}|${ID}|${NOW}|${JSON_BODY}`;
		const signature = sign(SECRET, 'sha512', 'base64', payload);
		const HEADERS = {
			'x-acme-signature': `sha512=${signature}`,
			'x-acme-timestamp': String(NOW),
			'x-acme-delivery': ID,
		};
		const LEAKS = [SECRET, OLD_SECRET, signature];
		const verify = verifier(using(FULL), {
			body: JSON_BODY,
			headers: HEADERS,
			url: URL,
			secrets: [SECRET],
		});

		it('verifies and returns the timestamp (configured header names in any case)', () => {
			expect(verify()).toEqual({ timestampSeconds: NOW, secret: SECRET });
		});

		it('rejects another delivery id', () => {
			const headers = withHeader(HEADERS, 'x-acme-delivery', 'dlv_0002');
			expectRejection(() => verify({ headers }), 'signatureMismatch', LEAKS);
		});

		it('rejects another URL', () => {
			expectRejection(
				() => verify({ url: URL.replace('tenant=7', 'tenant=8') }),
				'signatureMismatch',
				LEAKS,
			);
		});

		it('rejects another method', () => {
			expectRejection(() => verify({ method: 'PUT' }), 'signatureMismatch', LEAKS);
		});

		it('rejects a signature without the prefix', () => {
			const headers = withHeader(HEADERS, 'x-acme-signature', signature);
			const error = expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
			expect(error.message).toBe('Header "X-Acme-Signature" must start with "sha512="');
		});

		it.each(['X-Acme-Signature', 'X-Acme-Timestamp', 'X-Acme-Delivery'])(
			'rejects a missing %s header, named as configured',
			(name) => {
				const headers = withHeader(HEADERS, name.toLowerCase(), undefined);
				const error = expectRejection(() => verify({ headers }), 'missingHeader', LEAKS);
				expect(error.message).toBe(`Missing required header "${name}"`);
			},
		);
	});

	it('checks no timestamp when no timestamp header is configured', () => {
		const verify = verifier(using(BODY_ONLY), {
			body: JSON_BODY,
			headers: { 'x-signature': sign(SECRET, 'sha256', 'hex', JSON_BODY) },
			secrets: [SECRET],
		});
		expect(verify({ nowSeconds: 0 })).toEqual({ secret: SECRET });
	});

	it('signs only the body when the template is empty', () => {
		const verify = verifier(using({ ...BODY_ONLY, signedPayloadTemplate: '' }), {
			body: JSON_BODY,
			headers: { 'x-signature': sign(SECRET, 'sha256', 'hex', JSON_BODY) },
			secrets: [SECRET],
		});
		expect(verify()).toEqual({ secret: SECRET });
	});

	describe('timestampUnit milliseconds', () => {
		const config: CustomHmacConfig = {
			...BODY_ONLY,
			signedPayloadTemplate: '{timestamp}.{body}',
			timestampHeader: 'x-timestamp',
			timestampUnit: 'milliseconds',
		};
		const timestampMs = NOW * 1000 + 500;
		const headers = {
			'x-signature': sign(SECRET, 'sha256', 'hex', `${timestampMs}.${JSON_BODY}`),
			'x-timestamp': String(timestampMs),
		};
		const verify = verifier(using(config), { body: JSON_BODY, headers, secrets: [SECRET] });

		it('verifies and returns the timestamp in seconds', () => {
			expect(verify()).toEqual({ timestampSeconds: NOW + 0.5, secret: SECRET });
		});

		it('applies the tolerance to the millisecond timestamp', () => {
			expectRejection(() => verify({ nowSeconds: NOW + 301 }), 'timestampTooOld', [SECRET]);
		});
	});

	it('keeps verifying across many distinct templates (the parsed-template cache is bounded)', () => {
		for (let index = 0; index <= 100; index++) {
			const template = `${index}:{body}`;
			const headers = { 'x-signature': sign(SECRET, 'sha256', 'hex', `${index}:${JSON_BODY}`) };
			const verify = verifier(using({ ...BODY_ONLY, signedPayloadTemplate: template }), {
				body: JSON_BODY,
				headers,
				secrets: [SECRET],
			});
			expect(verify()).toEqual({ secret: SECRET });
		}
	});

	it('throws a configuration error (not a verification failure) for {timestamp} without a timestamp header', () => {
		const config = { ...BODY_ONLY, signedPayloadTemplate: '{timestamp}.{body}' };
		const verify = verifier(using(config), {
			body: JSON_BODY,
			headers: { 'x-signature': 'ab' },
			secrets: [SECRET],
		});
		// Typed since issue 8: its own reason, which handleDelivery answers with 500, never 401.
		const error = expectRejection(verify, 'invalidConfiguration', [SECRET]);
		expect(error.message).toBe(
			'The signed payload template uses {timestamp} but timestampHeader is not set',
		);
	});
});
