import { createHmac, randomBytes } from 'crypto';

import { verifySlackSignature } from '../../../lib/signatures';
import { expectRejection, JSON_BODY, NOW, verifier, withHeader } from './helpers';

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
});
