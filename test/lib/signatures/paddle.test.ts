import { createHmac, randomBytes } from 'crypto';

import { verifyPaddleSignature } from '../../../lib/signatures';
import { expectRejection, NOW, verifier } from './helpers';

const newSecret = () => `pdl_ntfset_${randomBytes(16).toString('hex')}`;
const SECRET = newSecret();
const OLD_SECRET = newSecret();
const BODY =
	'{"event_id": "evt_01h8bkrfe7w1vwf8xmytwn51e7", "event_type": "transaction.completed", "data": {"id": "txn_01"}}';

/** Paddle Billing's construction: hex HMAC-SHA256 of `{ts}:{body}`. */
function sign(secret: string, timestamp: number, body: string): string {
	return createHmac('sha256', secret).update(`${timestamp}:${body}`).digest('hex');
}

const SIGNATURE = sign(SECRET, NOW, BODY);
const header = (value: string) => ({ 'paddle-signature': value });
const LEAKS = [SECRET, OLD_SECRET, SIGNATURE];
const verify = verifier(verifyPaddleSignature, {
	body: BODY,
	headers: header(`ts=${NOW};h1=${SIGNATURE}`),
	secrets: [SECRET],
});

describe('verifyPaddleSignature', () => {
	it('passes when the second of two h1 signatures matches', () => {
		const headers = header(`ts=${NOW};h1=${sign(newSecret(), NOW, BODY)};h1=${SIGNATURE}`);
		expect(() => verify({ headers })).not.toThrow();
	});

	it('rejects a header without ts=', () => {
		expectRejection(() => verify({ headers: header(`h1=${SIGNATURE}`) }), 'malformedHeader', LEAKS);
	});

	it('rejects a header without h1=', () => {
		expectRejection(() => verify({ headers: header(`ts=${NOW}`) }), 'malformedHeader', LEAKS);
	});

	it('rejects a Stripe-style header (comma-separated)', () => {
		const headers = header(`ts=${NOW},h1=${SIGNATURE}`);
		expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
	});
});
