import { createHmac, randomBytes } from 'node:crypto';

import {
	SignatureVerificationError,
	verifyStandardWebhooksSignature,
} from '../../../lib/signatures';
import { findSigningSecretProblem, signingSecretsFrom } from '../../../lib/webhook/signingSecrets';

const WHSEC_PROBLEM =
	'A secret starting with "whsec_" must continue with base64 (as Standard Webhooks and Svix issue it); check that it was copied whole';
const whsec = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

/** Whether the Standard Webhooks verifier accepts a delivery signed in the test with `secret`. */
function standardWebhooksVerifies(secret: string): boolean {
	const body = '{"type": "invoice.paid"}';
	const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
	const signature = createHmac('sha256', key).update(`msg_1.1700000000.${body}`).digest('base64');
	try {
		verifyStandardWebhooksSignature(
			{
				rawBody: Buffer.from(body),
				headers: {
					'webhook-id': 'msg_1',
					'webhook-timestamp': '1700000000',
					'webhook-signature': `v1,${signature}`,
				},
				method: 'POST',
				url: 'https://hooks.example.com/webhook/x',
			},
			{ secrets: [secret], toleranceSeconds: 300, nowSeconds: 1_700_000_000 },
		);
		return true;
	} catch (error) {
		if (error instanceof SignatureVerificationError) return false;
		throw error;
	}
}

describe('signingSecretsFrom', () => {
	it('puts the current secret first, then the previous ones in order', () => {
		expect(signingSecretsFrom({ secret: 'current', previousSecrets: 'old1,old2' })).toEqual([
			'current',
			'old1',
			'old2',
		]);
	});

	it('splits previous secrets on commas, spaces and new lines', () => {
		expect(signingSecretsFrom({ secret: 'c', previousSecrets: 'a, b\nc2\r\n d' })).toEqual([
			'c',
			'a',
			'b',
			'c2',
			'd',
		]);
	});

	it('trims the current secret', () => {
		expect(signingSecretsFrom({ secret: '  current \n' })).toEqual(['current']);
	});

	it('answers only the current secret when there are no previous ones', () => {
		expect(signingSecretsFrom({ secret: 'current' })).toEqual(['current']);
	});

	it('drops empty entries (a blank current secret, doubled separators)', () => {
		expect(signingSecretsFrom({ secret: ' ', previousSecrets: ',old,,\n' })).toEqual(['old']);
	});

	it('answers no secret for an empty credential', () => {
		expect(signingSecretsFrom({})).toEqual([]);
	});
});

describe('findSigningSecretProblem', () => {
	it('accepts a plain secret', () => {
		expect(findSigningSecretProblem({ secret: 'shpss_0123456789abcdef' })).toBeUndefined();
	});

	it('accepts a whsec_ secret with base64 as Svix issues it', () => {
		expect(
			findSigningSecretProblem({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
		).toBeUndefined();
	});

	it('accepts a whsec_ secret whose base64 needs padding', () => {
		expect(findSigningSecretProblem({ secret: whsec(25) })).toBeUndefined();
	});

	it('reports a missing secret', () => {
		expect(findSigningSecretProblem({})).toBe('The secret is empty');
	});

	it('reports a blank secret', () => {
		expect(findSigningSecretProblem({ secret: ' \n' })).toBe('The secret is empty');
	});

	it('reports a blank current secret even when previous ones exist', () => {
		expect(findSigningSecretProblem({ secret: '', previousSecrets: 'old' })).toBe(
			'The secret is empty',
		);
	});

	it('reports whsec_ followed by characters that are not base64', () => {
		expect(findSigningSecretProblem({ secret: 'whsec_not-base64!' })).toBe(WHSEC_PROBLEM);
	});

	it('reports a whsec_ secret cut short (one character too many for base64)', () => {
		expect(findSigningSecretProblem({ secret: 'whsec_MfKQ9' })).toBe(WHSEC_PROBLEM);
	});

	it('reports whsec_ with nothing after it', () => {
		expect(findSigningSecretProblem({ secret: 'whsec_' })).toBe(WHSEC_PROBLEM);
	});

	it('reports a broken whsec_ secret among the previous ones', () => {
		const problem = findSigningSecretProblem({ secret: whsec(24), previousSecrets: 'whsec_%%%' });
		expect(problem).toBe(WHSEC_PROBLEM);
	});

	it.each([
		['base64 without its padding', whsec(25).replace(/=+$/, '')],
		['URL-safe base64', `whsec_${randomBytes(24).toString('base64url')}`],
	])('agrees with the Standard Webhooks verifier on %s', (_, secret) => {
		expect(findSigningSecretProblem({ secret }) === undefined).toBe(
			standardWebhooksVerifies(secret),
		);
	});

	it('passes a Svix-style secret that the Standard Webhooks verifier uses to verify', () => {
		const secret = whsec(24);
		expect([findSigningSecretProblem({ secret }), standardWebhooksVerifies(secret)]).toEqual([
			undefined,
			true,
		]);
	});
});
