import { createHmac, randomBytes } from 'crypto';

import { verifyStripeSignature } from '../../../lib/signatures';
import { expectRejection, JSON_BODY, NOW, verifier } from './helpers';

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const SECRET = newSecret();
const OLD_SECRET = newSecret();

/** Stripe's construction: hex HMAC-SHA256 of `{t}.{body}`, keyed with the whsec_ string's bytes. */
function sign(secret: string | Buffer, timestamp: number, body: string): string {
	return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

const SIGNATURE = sign(SECRET, NOW, JSON_BODY);
const header = (value: string) => ({ 'stripe-signature': value });
const LEAKS = [SECRET, OLD_SECRET, SIGNATURE];
const verify = verifier(verifyStripeSignature, {
	body: JSON_BODY,
	headers: header(`t=${NOW},v1=${SIGNATURE}`),
	secrets: [SECRET],
});

describe('verifyStripeSignature', () => {
	it('ignores other schemes in the header (v0 test-mode signature)', () => {
		const headers = header(`t=${NOW},v1=${SIGNATURE},v0=${'0'.repeat(64)}`);
		expect(() => verify({ headers })).not.toThrow();
	});

	it('passes when the second of two v1 signatures matches', () => {
		const headers = header(`t=${NOW},v1=${sign(newSecret(), NOW, JSON_BODY)},v1=${SIGNATURE}`);
		expect(() => verify({ headers })).not.toThrow();
	});

	it('tolerates spaces after the commas', () => {
		expect(() => verify({ headers: header(`t=${NOW}, v1=${SIGNATURE}`) })).not.toThrow();
	});

	it('reads the first t= when the header repeats it', () => {
		const headers = header(`t=${NOW},v1=${SIGNATURE},t=${NOW + 999}`);
		expect(verify({ headers })).toEqual({ timestampSeconds: NOW, secret: SECRET });
	});

	it('keys the HMAC with the whsec_ string itself, not its base64 decoding', () => {
		const decodedKey = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
		const headers = header(`t=${NOW},v1=${sign(decodedKey, NOW, JSON_BODY)}`);
		expectRejection(() => verify({ headers }), 'signatureMismatch', LEAKS);
	});

	it('rejects a signature header whose timestamp was changed', () => {
		const headers = header(`t=${NOW + 1},v1=${SIGNATURE}`);
		expectRejection(() => verify({ headers }), 'signatureMismatch', LEAKS);
	});

	it('rejects a header without t=', () => {
		expectRejection(() => verify({ headers: header(`v1=${SIGNATURE}`) }), 'malformedHeader', LEAKS);
	});

	it('rejects a header without v1=', () => {
		expectRejection(() => verify({ headers: header(`t=${NOW}`) }), 'malformedHeader', LEAKS);
	});

	it('rejects a t= that is not a Unix timestamp', () => {
		const headers = header(`t=soon,v1=${SIGNATURE}`);
		expectRejection(() => verify({ headers }), 'malformedHeader', LEAKS);
	});
});
