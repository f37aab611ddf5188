import { createHmac, generateKeyPairSync, randomBytes, sign as ecdsaSign } from 'node:crypto';

import type { HeaderMap } from '../../../lib/envelope';
import type { IncomingDelivery } from '../../../lib/webhook/handleDelivery';

/**
 * Deliveries signed in the test with node:crypto, as each provider documents its construction:
 * the verifiers under test never sign anything themselves.
 */

export const NOW_SECONDS = 1_700_000_000;
export const NOW_MS = NOW_SECONDS * 1000;

export const newSecret = (prefix = '') => `${prefix}${randomBytes(24).toString('base64')}`;

const hmac = (algorithm: string, key: string | Buffer, payload: string) =>
	createHmac(algorithm, key).update(payload);

export interface Signed {
	body: string;
	headers: HeaderMap;
}

/** `Stripe-Signature: t=..,v1=<hex HMAC-SHA256 of "{t}.{body}">`, keyed with the whsec_ string. */
export function signStripe(body: string, secret: string, timestamp = NOW_SECONDS): Signed {
	const signature = hmac('sha256', secret, `${timestamp}.${body}`).digest('hex');
	return {
		body,
		headers: {
			'content-type': 'application/json; charset=utf-8',
			'stripe-signature': `t=${timestamp},v1=${signature}`,
		},
	};
}

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. */
export function signGithub(
	body: string,
	secret: string,
	extra: HeaderMap = {
		'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
		'x-github-event': 'push',
	},
): Signed {
	const signature = hmac('sha256', secret, body).digest('hex');
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'x-hub-signature-256': `sha256=${signature}`,
			...extra,
		},
	};
}

/** `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">`, keyed with the decoded whsec_. */
export function signStandardWebhooks(
	body: string,
	secret: string,
	id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
	timestamp = NOW_SECONDS,
): Signed {
	const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
	const signature = hmac('sha256', key, `${id}.${timestamp}.${body}`).digest('base64');
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'webhook-id': id,
			'webhook-timestamp': String(timestamp),
			'webhook-signature': `v1,${signature}`,
		},
	};
}

/** `x-zm-signature: v0=<hex HMAC-SHA256 of "v0:{ts}:{body}">`. */
export function signZoom(body: string, secret: string, timestamp = NOW_SECONDS): Signed {
	const signature = hmac('sha256', secret, `v0:${timestamp}:${body}`).digest('hex');
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'x-zm-request-timestamp': String(timestamp),
			'x-zm-signature': `v0=${signature}`,
		},
	};
}

/** `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>`. */
export function signShopify(body: string, secret: string, extra: HeaderMap = {}): Signed {
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'x-shopify-hmac-sha256': hmac('sha256', secret, body).digest('base64'),
			'x-shopify-topic': 'orders/create',
			'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
			'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
			'x-shopify-triggered-at': '2023-11-14T22:13:20.123456Z',
			...extra,
		},
	};
}

/** The incoming delivery for signed bytes: what the node hands to handleDelivery. */
export function incoming(
	signed: Signed | { body: string | Buffer; headers: HeaderMap },
	overrides: Partial<IncomingDelivery> = {},
): IncomingDelivery {
	return {
		rawBody: Buffer.isBuffer(signed.body) ? signed.body : Buffer.from(signed.body),
		headers: signed.headers,
		method: 'POST',
		url: 'https://n8n.example.com/webhook/payments',
		ip: '203.0.113.7',
		receivedAtMs: NOW_MS,
		...overrides,
	};
}

/** HubSpot v3: base64 HMAC-SHA256 of method + URI (listed escapes decoded) + body + timestamp (ms). */
export function signHubspot(
	body: string,
	secret: string,
	signedUri: string,
	timestampMs = NOW_MS,
): Signed {
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'x-hubspot-signature-v3': hmac(
				'sha256',
				secret,
				`POST${signedUri}${body}${timestampMs}`,
			).digest('base64'),
			'x-hubspot-request-timestamp': String(timestampMs),
		},
	};
}

/** `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{ts}:{body}">`. */
export function signSlack(body: string, secret: string, timestamp = NOW_SECONDS): Signed {
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'x-slack-request-timestamp': String(timestamp),
			'x-slack-signature': `v0=${hmac('sha256', secret, `v0:${timestamp}:${body}`).digest('hex')}`,
		},
	};
}

/** SendGrid: ECDSA P-256 / SHA-256 over `{timestamp}{body}`, base64 DER; the key pair is made here. */
export function sendgridKeys(): {
	publicKey: string;
	sign(body: string, timestamp?: number): Signed;
} {
	const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	return {
		publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
		sign: (body, timestamp = NOW_SECONDS) => ({
			body,
			headers: {
				'content-type': 'application/json',
				'x-twilio-email-event-webhook-signature': ecdsaSign(
					'sha256',
					Buffer.from(`${timestamp}${body}`),
					privateKey,
				).toString('base64'),
				'x-twilio-email-event-webhook-timestamp': String(timestamp),
			},
		}),
	};
}
