import { createHmac, randomBytes } from 'crypto';

import { verifyGithubSignature } from '../../../lib/signatures';
import { expectRejection, JSON_BODY, reserialised, verifier } from './helpers';

const newSecret = () => randomBytes(20).toString('hex');
const SECRET = newSecret();
const OLD_SECRET = newSecret();

/** GitHub's construction: hex HMAC of the body, `sha256=` (or legacy `sha1=`) prefixed. */
function sign(secret: string, body: string, algorithm: 'sha256' | 'sha1' = 'sha256'): string {
	return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}

const SIGNATURE = sign(SECRET, JSON_BODY);
const LEAKS = [SECRET, OLD_SECRET, SIGNATURE.slice('sha256='.length)];
const verify = verifier(verifyGithubSignature, {
	body: JSON_BODY,
	headers: { 'x-hub-signature-256': SIGNATURE, 'x-github-event': 'push' },
	secrets: [SECRET],
});

describe('verifyGithubSignature', () => {
	it('verifies the published vector (GitHub docs, "Validating webhook deliveries")', () => {
		const secret = "It's a Secret to Everybody";
		const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
		expect(sign(secret, 'Hello, World!')).toBe(signature);
		const headers = { 'x-hub-signature-256': signature };
		expect(verify({ body: 'Hello, World!', headers, secrets: [secret] })).toEqual({ secret });
	});

	it('verifies a payload signed in the test', () => {
		expect(verify()).toEqual({ secret: SECRET });
	});

	it('falls back to the legacy sha1 header when the sha256 one is absent', () => {
		const headers = { 'x-hub-signature': sign(SECRET, JSON_BODY, 'sha1') };
		expect(() => verify({ headers })).not.toThrow();
	});

	it('ignores a valid legacy sha1 signature when the sha256 one is present (no downgrade)', () => {
		const headers = {
			'x-hub-signature-256': sign(newSecret(), JSON_BODY),
			'x-hub-signature': sign(SECRET, JSON_BODY, 'sha1'),
		};
		expectRejection(() => verify({ headers }), 'signatureMismatch', LEAKS);
	});

	it('verifies with the previous secret in second position (rotation)', () => {
		const headers = { 'x-hub-signature-256': sign(OLD_SECRET, JSON_BODY) };
		expect(() => verify({ headers, secrets: [SECRET, OLD_SECRET] })).not.toThrow();
	});

	it('rejects a wrong secret', () => {
		expectRejection(() => verify({ secrets: [newSecret()] }), 'signatureMismatch', LEAKS);
	});

	it('rejects a tampered body', () => {
		expectRejection(() => verify({ body: `${JSON_BODY} ` }), 'signatureMismatch', LEAKS);
	});

	it('rejects re-serialised JSON', () => {
		expectRejection(() => verify({ body: reserialised(JSON_BODY) }), 'signatureMismatch', LEAKS);
	});

	it('rejects a delivery with neither signature header', () => {
		const error = expectRejection(() => verify({ headers: {} }), 'missingHeader', LEAKS);
		expect(error.message).toBe('Missing required header "x-hub-signature-256"');
	});

	it('rejects a signature without the sha256= prefix', () => {
		const headers = { 'x-hub-signature-256': SIGNATURE.slice('sha256='.length) };
		const error = expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
		expect(error.message).toBe('Header "x-hub-signature-256" must start with "sha256="');
	});

	it('rejects a signature with a stray character after valid hex', () => {
		const headers = { 'x-hub-signature-256': `${SIGNATURE}0` };
		expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
	});

	it('rejects when only blank secrets are configured', () => {
		expectRejection(() => verify({ secrets: ['', '  '] }), 'noSecret', LEAKS);
	});
});
