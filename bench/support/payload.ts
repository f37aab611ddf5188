import { createHmac } from 'node:crypto';

/**
 * A Stripe-like event padded to exactly `bytes` bytes of JSON, so every scenario and every id
 * sends the same amount of data.
 */
export function stripeEventBody(id: string, bytes: number): string {
	const event = {
		id,
		object: 'event',
		api_version: '2024-06-20',
		created: 1767225600,
		type: 'payment_intent.succeeded',
		livemode: false,
		pending_webhooks: 1,
		data: {
			object: {
				id: 'pi_3PbenchmarkPaymentIntent',
				object: 'payment_intent',
				amount: 4200,
				currency: 'eur',
				status: 'succeeded',
				customer: 'cus_benchmarkCustomer',
				description: '',
			},
		},
	};
	const unpadded = Buffer.byteLength(JSON.stringify(event));
	if (unpadded > bytes)
		throw new Error(`An event with id "${id}" needs ${unpadded} bytes, more than ${bytes}`);
	event.data.object.description = 'x'.repeat(bytes - unpadded);
	return JSON.stringify(event);
}

/** The `Stripe-Signature` header value Stripe would send for this body at `timestamp`. */
export function stripeSignature(body: string | Buffer, secret: string, timestamp: number): string {
	const signature = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
	return `t=${timestamp},v1=${signature}`;
}
