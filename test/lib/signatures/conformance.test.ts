import { createHmac, randomBytes, randomUUID } from 'crypto';

import {
	customHmacScheme,
	type SignatureScheme,
	signatureSchemes,
	type SignedRequest,
} from '../../../lib/signatures';
import {
	expectRejection,
	type HeaderValues,
	JSON_BODY,
	NOW,
	options,
	reserialised,
	signedRequest,
	withHeader,
} from './helpers';
import { sendgridKeys } from '../webhook/signedDeliveries';

/**
 * One conformance suite for every scheme, as the store contract is for every backend: each row
 * signs deliveries as the provider documents it (written out here, independently of lib/) and
 * lists the provider's published vectors. Every rejection is checked to leak neither a secret nor
 * the signature that would have matched. Scheme-specific cases stay in `<scheme>.test.ts`.
 */

const URL = 'https://n8n.example.com/webhook/abc?source=test';
const FORM_BODY = 'CallSid=CA1234567890ABCDE&From=%2B14158675309&Digits=1234';

/** A secret and what the provider would send with it; `leaks` must never appear in a message. */
interface Signer {
	secret: string;
	sign(body: string, timestampSeconds: number): HeaderValues;
	leaks: string[];
}

interface PublishedVector {
	source: string;
	secret: string;
	body: string;
	headers: HeaderValues;
	url?: string;
	/** The clock the vector was made at; the answer's signed time when the scheme has one. */
	nowSeconds: number;
	timestampSeconds?: number;
}

interface SchemeRow {
	name: string;
	scheme: SignatureScheme;
	newSigner(): Signer;
	/** JSON unless the provider posts a form (Twilio). */
	body: string;
	/** The header carrying the signature, and a value of it that does not decode. */
	signatureHeader: string;
	undecodable: string;
	vectors: PublishedVector[];
}

const hmac = (algorithm: string, key: string | Buffer, data: string) =>
	createHmac(algorithm, key).update(data);

/** A signer for HMAC schemes: `headers(secret, body, ts)` gives the headers, the last entry's value the signature. */
function hmacSigner(
	newSecret: () => string,
	headers: (secret: string, body: string, timestamp: number) => HeaderValues,
	signatureOf: (headers: HeaderValues) => string,
): () => Signer {
	return () => {
		const secret = newSecret();
		return {
			secret,
			sign: (body, timestamp) => headers(secret, body, timestamp),
			leaks: [secret, signatureOf(headers(secret, JSON_BODY, NOW))],
		};
	};
}

const hex = (bytes: number) => () => randomBytes(bytes).toString('hex');
const whsec = () => `whsec_${randomBytes(24).toString('base64')}`;
const afterPrefix = (header: string, prefix: string) => (headers: HeaderValues) =>
	(headers[header] ?? '').slice(prefix.length);

const STANDARD_ID = 'msg_2Zk3vKq8t1XyR0mH7uJ9';
const TWILIO_PARAMS = () =>
	[...new URLSearchParams(FORM_BODY)]
		.sort(([a], [b]) => (a < b ? -1 : 1))
		.map(([name, value]) => name + value)
		.join('');

const ROWS: SchemeRow[] = [
	{
		name: 'Standard Webhooks',
		scheme: signatureSchemes.standardWebhooks,
		body: JSON_BODY,
		signatureHeader: 'webhook-signature',
		undecodable: 'v1,not*base64',
		newSigner: () => {
			const secret = whsec();
			const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
			const signature = (body: string, timestamp: number) =>
				hmac('sha256', key, `${STANDARD_ID}.${timestamp}.${body}`).digest('base64');
			return {
				secret,
				sign: (body, timestamp) => ({
					'webhook-id': STANDARD_ID,
					'webhook-timestamp': String(timestamp),
					'webhook-signature': `v1,${signature(body, timestamp)}`,
				}),
				leaks: [secret, secret.slice('whsec_'.length), signature(JSON_BODY, NOW)],
			};
		},
		vectors: [
			{
				source: 'standard-webhooks javascript tests',
				// eslint-disable-next-line @n8n/community-nodes/no-hardcoded-secrets -- the library's published vector
				secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
				body: '{"test": 2432232314}',
				headers: {
					'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
					'webhook-timestamp': '1614265330',
					'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
				},
				nowSeconds: 1614265330,
				timestampSeconds: 1614265330,
			},
			{
				source: 'the same vector under the svix-* header names',
				// eslint-disable-next-line @n8n/community-nodes/no-hardcoded-secrets -- the library's published vector
				secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
				body: '{"test": 2432232314}',
				headers: {
					'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
					'svix-timestamp': '1614265330',
					'svix-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
				},
				nowSeconds: 1614265330,
				timestampSeconds: 1614265330,
			},
		],
	},
	{
		name: 'Stripe',
		scheme: signatureSchemes.stripe,
		body: JSON_BODY,
		signatureHeader: 'stripe-signature',
		undecodable: `t=${NOW},v1=zz`,
		newSigner: hmacSigner(
			whsec,
			(secret, body, timestamp) => ({
				'stripe-signature': `t=${timestamp},v1=${hmac('sha256', secret, `${timestamp}.${body}`).digest('hex')}`,
			}),
			afterPrefix('stripe-signature', `t=${NOW},v1=`),
		),
		vectors: [],
	},
	{
		name: 'GitHub',
		scheme: signatureSchemes.github,
		body: JSON_BODY,
		signatureHeader: 'x-hub-signature-256',
		undecodable: `sha256=${'0'.repeat(63)}z`,
		newSigner: hmacSigner(
			hex(20),
			(secret, body) => ({
				'x-hub-signature-256': `sha256=${hmac('sha256', secret, body).digest('hex')}`,
			}),
			afterPrefix('x-hub-signature-256', 'sha256='),
		),
		vectors: [
			{
				source: 'GitHub docs, "Validating webhook deliveries"',
				secret: "It's a Secret to Everybody",
				body: 'Hello, World!',
				headers: {
					'x-hub-signature-256':
						'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
				},
				nowSeconds: NOW,
			},
		],
	},
	...(
		[
			['Shopify', signatureSchemes.shopify, 'x-shopify-hmac-sha256'],
			['WooCommerce', signatureSchemes.wooCommerce, 'x-wc-webhook-signature'],
		] as const
	).map(
		([name, scheme, header]): SchemeRow => ({
			name,
			scheme,
			body: JSON_BODY,
			signatureHeader: header,
			undecodable: 'bm90*YmFzZTY0',
			newSigner: hmacSigner(
				hex(32),
				(secret, body) => ({ [header]: hmac('sha256', secret, body).digest('base64') }),
				(headers) => headers[header] ?? '',
			),
			vectors: [],
		}),
	),
	{
		name: 'Slack',
		scheme: signatureSchemes.slack,
		body: JSON_BODY,
		signatureHeader: 'x-slack-signature',
		undecodable: `v0=${'g'.repeat(64)}`,
		newSigner: hmacSigner(
			hex(16),
			(secret, body, timestamp) => ({
				'x-slack-signature': `v0=${hmac('sha256', secret, `v0:${timestamp}:${body}`).digest('hex')}`,
				'x-slack-request-timestamp': String(timestamp),
			}),
			afterPrefix('x-slack-signature', 'v0='),
		),
		vectors: [
			{
				source: 'Slack docs, "Verifying requests from Slack"',
				secret: '8f742231b10e8888abcd99yyyzzz85a5',
				body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
				headers: {
					'x-slack-signature':
						'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
					'x-slack-request-timestamp': '1531420618',
				},
				nowSeconds: 1531420628,
				timestampSeconds: 1531420618,
			},
		],
	},
	{
		name: 'Paddle Billing',
		scheme: signatureSchemes.paddle,
		body: JSON_BODY,
		signatureHeader: 'paddle-signature',
		undecodable: `ts=${NOW};h1=zz`,
		newSigner: hmacSigner(
			() => `pdl_ntfset_${randomBytes(16).toString('hex')}`,
			(secret, body, timestamp) => ({
				'paddle-signature': `ts=${timestamp};h1=${hmac('sha256', secret, `${timestamp}:${body}`).digest('hex')}`,
			}),
			afterPrefix('paddle-signature', `ts=${NOW};h1=`),
		),
		vectors: [],
	},
	{
		name: 'Square',
		scheme: signatureSchemes.square,
		body: JSON_BODY,
		signatureHeader: 'x-square-hmacsha256-signature',
		undecodable: 'bm90*YmFzZTY0',
		newSigner: hmacSigner(
			() => randomBytes(16).toString('base64url'),
			(secret, body) => ({
				'x-square-hmacsha256-signature': hmac('sha256', secret, URL + body).digest('base64'),
			}),
			(headers) => headers['x-square-hmacsha256-signature'] ?? '',
		),
		vectors: [],
	},
	{
		name: 'Zoom',
		scheme: signatureSchemes.zoom,
		body: JSON_BODY,
		signatureHeader: 'x-zm-signature',
		undecodable: `v0=${'g'.repeat(64)}`,
		newSigner: hmacSigner(
			() => randomBytes(16).toString('base64url'),
			(secret, body, timestamp) => ({
				'x-zm-signature': `v0=${hmac('sha256', secret, `v0:${timestamp}:${body}`).digest('hex')}`,
				'x-zm-request-timestamp': String(timestamp),
			}),
			afterPrefix('x-zm-signature', 'v0='),
		),
		vectors: [],
	},
	{
		name: 'HubSpot v3',
		scheme: signatureSchemes.hubspot,
		body: JSON_BODY,
		signatureHeader: 'x-hubspot-signature-v3',
		undecodable: 'bm90*YmFzZTY0',
		newSigner: hmacSigner(
			() => randomUUID(),
			(secret, body, timestamp) => ({
				'x-hubspot-signature-v3': hmac(
					'sha256',
					secret,
					`POST${URL}${body}${timestamp * 1000}`,
				).digest('base64'),
				'x-hubspot-request-timestamp': String(timestamp * 1000),
			}),
			(headers) => headers['x-hubspot-signature-v3'] ?? '',
		),
		vectors: [],
	},
	{
		name: 'Twilio',
		scheme: signatureSchemes.twilio,
		body: FORM_BODY,
		signatureHeader: 'x-twilio-signature',
		undecodable: 'bm90*YmFzZTY0',
		newSigner: hmacSigner(
			hex(16),
			(secret) => ({
				'x-twilio-signature': hmac('sha1', secret, URL + TWILIO_PARAMS()).digest('base64'),
			}),
			(headers) => headers['x-twilio-signature'] ?? '',
		),
		vectors: [
			{
				source: 'twilio-php docs',
				secret: '12345',
				url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
				body: new URLSearchParams([
					['CallSid', 'CA1234567890ABCDE'],
					['Caller', '+14158675309'],
					['Digits', '1234'],
					['From', '+14158675309'],
					['To', '+18005551212'],
				]).toString(),
				headers: { 'x-twilio-signature': 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' },
				nowSeconds: NOW,
			},
		],
	},
	{
		name: 'SendGrid',
		scheme: signatureSchemes.sendgrid,
		body: JSON_BODY,
		signatureHeader: 'x-twilio-email-event-webhook-signature',
		undecodable: 'bm90*YmFzZTY0',
		newSigner: () => {
			const keys = sendgridKeys();
			return {
				secret: keys.publicKey,
				sign: (body, timestamp) => keys.sign(body, timestamp).headers as HeaderValues,
				leaks: [keys.publicKey],
			};
		},
		vectors: [
			{
				source: 'sendgrid-nodejs eventwebhook tests',
				// eslint-disable-next-line @n8n/community-nodes/no-hardcoded-secrets -- a public key, from SendGrid's tests
				secret:
					'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==',
				body: '{"category":"example_payload","event":"test_event","message_id":"message_id"}',
				headers: {
					'x-twilio-email-event-webhook-signature':
						'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=',
					'x-twilio-email-event-webhook-timestamp': '1588788367',
				},
				nowSeconds: 1588788367,
				timestampSeconds: 1588788367,
			},
		],
	},
	{
		name: 'Custom HMAC (sha512, base64, prefix, timestamp)',
		scheme: customHmacScheme({
			signatureHeader: 'X-Acme-Signature',
			signaturePrefix: 'sha512=',
			algorithm: 'sha512',
			encoding: 'base64',
			signedPayloadTemplate: '{timestamp}.{body}',
			timestampHeader: 'X-Acme-Timestamp',
		}),
		body: JSON_BODY,
		signatureHeader: 'x-acme-signature',
		undecodable: 'sha512=bm90*YmFzZTY0',
		newSigner: hmacSigner(
			() => randomBytes(24).toString('base64'),
			(secret, body, timestamp) => ({
				'x-acme-signature': `sha512=${hmac('sha512', secret, `${timestamp}.${body}`).digest('base64')}`,
				'x-acme-timestamp': String(timestamp),
			}),
			afterPrefix('x-acme-signature', 'sha512='),
		),
		vectors: [],
	},
];

/** Every row's scheme is verified through the registry entry the node uses. */
describe.each(ROWS)('$name', (row) => {
	const current = row.newSigner();
	const previous = row.newSigner();
	const LEAKS = [...current.leaks, ...previous.leaks];
	const request = (overrides: Partial<SignedRequest> & { body?: string | Buffer } = {}) =>
		signedRequest(overrides.body ?? row.body, current.sign(row.body, NOW), {
			url: URL,
			...overrides,
		});
	const verify = (req: SignedRequest, secrets = [current.secret], nowSeconds = NOW) =>
		row.scheme.verify(req, options(secrets, { nowSeconds }));
	const signedTime = (timestampSeconds: number | undefined) =>
		row.scheme.signsTimestamp ? { timestampSeconds } : {};

	it('verifies a delivery signed as the provider documents, answering the secret that matched', () => {
		expect(verify(request())).toEqual({ ...signedTime(NOW), secret: current.secret });
	});

	it('verifies with the previous secret in second position and answers it (rotation)', () => {
		const signedWithPrevious = signedRequest(row.body, previous.sign(row.body, NOW), { url: URL });
		expect(verify(signedWithPrevious, [current.secret, previous.secret]).secret).toBe(
			previous.secret,
		);
	});

	if (row.vectors.length > 0) {
		it.each(row.vectors)('verifies the published vector ($source)', (vector) => {
			const published = signedRequest(vector.body, vector.headers, { url: vector.url ?? URL });
			expect(verify(published, [vector.secret], vector.nowSeconds)).toEqual({
				...signedTime(vector.timestampSeconds),
				secret: vector.secret,
			});
		});
	}

	it('rejects a wrong secret', () => {
		expectRejection(() => verify(request(), [previous.secret]), 'signatureMismatch', LEAKS);
	});

	it('rejects a tampered body', () => {
		const tampered = row.body.replace(/\d/, (digit) => String((Number(digit) + 1) % 10));
		expectRejection(() => verify(request({ body: tampered })), 'signatureMismatch', LEAKS);
	});

	if (row.body === JSON_BODY) {
		it('rejects re-serialised JSON (only the raw bytes are signed)', () => {
			expectRejection(
				() => verify(request({ body: reserialised(JSON_BODY) })),
				'signatureMismatch',
				LEAKS,
			);
		});
	}

	it('rejects a delivery without its signature header, naming the header', () => {
		const headers = withHeader(current.sign(row.body, NOW), row.signatureHeader, undefined);
		const error = expectRejection(
			() => verify(signedRequest(row.body, headers, { url: URL })),
			'missingHeader',
			LEAKS,
		);
		// Custom HMAC names the header as the operator typed it.
		expect(error.message.toLowerCase()).toContain(`"${row.signatureHeader}"`);
	});

	it('rejects a signature that does not decode', () => {
		const headers = withHeader(current.sign(row.body, NOW), row.signatureHeader, row.undecodable);
		expectRejection(
			() => verify(signedRequest(row.body, headers, { url: URL })),
			'malformedHeader',
			LEAKS,
		);
	});

	it('answers noSecret, not a mismatch, when no secret is configured', () => {
		expectRejection(() => verify(request(), ['', ' ']), 'noSecret', LEAKS);
	});

	if (row.scheme.signsTimestamp) {
		it('rejects a signed timestamp older than the tolerance', () => {
			expectRejection(() => verify(request(), undefined, NOW + 301), 'timestampTooOld', LEAKS);
		});

		it('rejects a signed timestamp further in the future than the tolerance', () => {
			expectRejection(() => verify(request(), undefined, NOW - 301), 'timestampInFuture', LEAKS);
		});
	}
});
