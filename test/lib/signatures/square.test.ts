import { createHmac, randomBytes } from 'crypto';

import { verifySquareSignature } from '../../../lib/signatures';
import { expectRejection, verifier } from './helpers';

const newSecret = () => randomBytes(16).toString('base64url');
const SECRET = newSecret();
const OLD_SECRET = newSecret();
const URL = 'https://n8n.example.com/webhook/square-orders';
const BODY =
	'{"merchant_id": "6SSW7HV8K2ST5", "type": "order.created", "event_id": "116038d3-2948-439f-8679-fc86cbf1957c"}';

/** Square's construction: base64 HMAC-SHA256 of the notification URL followed by the body. */
function sign(secret: string, url: string, body: string): string {
	return createHmac('sha256', secret)
		.update(url + body)
		.digest('base64');
}

const SIGNATURE = sign(SECRET, URL, BODY);
const header = (value: string) => ({ 'x-square-hmacsha256-signature': value });
const LEAKS = [SECRET, OLD_SECRET, SIGNATURE];
const verify = verifier(verifySquareSignature, {
	body: BODY,
	headers: header(SIGNATURE),
	url: URL,
	secrets: [SECRET],
});

describe('verifySquareSignature', () => {
	it('rejects a delivery checked against another URL (e.g. the one seen behind a proxy)', () => {
		const url = 'http://localhost:5678/webhook/square-orders';
		expectRejection(() => verify({ url }), 'signatureMismatch', LEAKS);
	});
});
