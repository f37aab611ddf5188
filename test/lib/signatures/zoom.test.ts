import { createHmac, randomBytes } from 'crypto';

import { answerZoomUrlValidation, verifyZoomSignature } from '../../../lib/signatures';
import { expectRejection, NOW, verifier, withHeader } from './helpers';

const newSecret = () => randomBytes(16).toString('base64url');
const SECRET = newSecret();
const OLD_SECRET = newSecret();
const BODY =
	'{"event": "meeting.started", "event_ts": 1700000000123, "payload": {"account_id": "D8cJuqWVQ623CI4Q8yQK0Q"}}';

/** Zoom's construction: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`. */
function sign(secret: string, timestamp: number, body: string): string {
	return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

const SIGNATURE = sign(SECRET, NOW, BODY);
const HEADERS = { 'x-zm-signature': SIGNATURE, 'x-zm-request-timestamp': String(NOW) };
const LEAKS = [SECRET, OLD_SECRET, SIGNATURE.slice('v0='.length)];
const verify = verifier(verifyZoomSignature, { body: BODY, headers: HEADERS, secrets: [SECRET] });

describe('verifyZoomSignature', () => {
	it.each(['x-zm-signature', 'x-zm-request-timestamp'])('rejects a missing %s header', (name) => {
		const headers = withHeader(HEADERS, name, undefined);
		expectRejection(() => verify({ headers }), 'missingHeader', LEAKS);
	});
});

describe('answerZoomUrlValidation', () => {
	it('answers the plain token with its hex HMAC-SHA256 under the secret token', () => {
		const plainToken = randomBytes(16).toString('base64url');
		const encryptedToken = createHmac('sha256', SECRET).update(plainToken).digest('hex');
		expect(answerZoomUrlValidation(plainToken, SECRET)).toEqual({ plainToken, encryptedToken });
	});
});
