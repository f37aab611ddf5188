import { createHmac, randomBytes } from 'crypto';

import { verifyGithubSignature } from '../../../lib/signatures';
import { expectRejection, JSON_BODY, verifier } from './helpers';

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

	it('rejects a delivery with neither signature header', () => {
		const error = expectRejection(() => verify({ headers: {} }), 'missingHeader', LEAKS);
		expect(error.message).toBe('Missing required header "x-hub-signature-256"');
	});

	it('rejects a signature without the sha256= prefix', () => {
		const headers = { 'x-hub-signature-256': SIGNATURE.slice('sha256='.length) };
		const error = expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
		expect(error.message).toBe('Header "x-hub-signature-256" must start with "sha256="');
	});
});
