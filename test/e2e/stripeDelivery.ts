import { createHmac } from 'node:crypto';

/**
 * A POST of `body` signed as Stripe signs it, now: `Stripe-Signature: t=..,v1=<hex HMAC-SHA256 of
 * "{t}.{body}">`, keyed with the whsec_ string itself. For the e2e tests of the Signed Webhook Trigger.
 */
export function stripeDelivery(
	body: string,
	secret: string,
	timestamp = Math.floor(Date.now() / 1000),
): { method: 'POST'; headers: Record<string, string>; body: string } {
	const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
	return {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			'stripe-signature': `t=${timestamp},v1=${signature}`,
		},
		body,
	};
}
