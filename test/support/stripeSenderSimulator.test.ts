import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { verifyStripeSignature } from '../../lib/signatures';
import { listenLocally, type LocalServer } from './localServer';
import { paymentSucceeded, type RetryPolicy, StripeSenderSimulator } from './stripeSenderSimulator';

const SECRET = 'whsec_sender_simulator_test';
const FAST: RetryPolicy = {
	timeoutMs: 300,
	firstDelayMs: 10,
	maxDelayMs: 40,
	giveUpAfterMs: 2_000,
};

interface Received {
	body: string;
	signature: string;
}

/** A receiver that answers each request with the next of `answers` ('hang' never answers). */
async function receiver(answers: Array<number | 'hang'>) {
	const received: Received[] = [];
	const server = createServer((request: IncomingMessage, response: ServerResponse) => {
		let body = '';
		request.on('data', (chunk: Buffer) => (body += chunk.toString()));
		request.on('end', () => {
			received.push({ body, signature: String(request.headers['stripe-signature']) });
			const answer = answers[received.length - 1] ?? 200;
			if (answer !== 'hang') response.writeHead(answer).end('{"received":true}');
		});
	});
	return { received, server: await listenLocally(server) };
}

describe('Stripe sender simulator', () => {
	const event = paymentSucceeded('evt_sim_1', 'order-1', 4200);
	let listening: LocalServer | undefined;

	afterEach(async () => {
		await listening?.close();
		listening = undefined;
	});

	it('sends a Stripe Event object, the same bytes on every attempt, signed afresh as Stripe signs', async () => {
		const { received, server } = await receiver([500, 200]);
		listening = server;

		const log = await new StripeSenderSimulator(server.origin, SECRET, FAST).deliver(event);

		expect(JSON.parse(event.body)).toMatchObject({
			id: 'evt_sim_1',
			object: 'event',
			type: 'payment_intent.succeeded',
			data: { object: { object: 'payment_intent', amount: 4200, metadata: { order: 'order-1' } } },
		});
		expect(received.map((request) => request.body)).toEqual([event.body, event.body]);
		for (const { body, signature } of received) {
			expect(() =>
				verifyStripeSignature(
					{
						rawBody: Buffer.from(body),
						headers: { 'stripe-signature': signature },
						method: 'POST',
						url: '',
					},
					{ secrets: [SECRET], toleranceSeconds: 300, nowSeconds: Date.now() / 1000 },
				),
			).not.toThrow();
		}
		expect(log.attempts.map((attempt) => ('status' in attempt ? attempt.status : attempt))).toEqual(
			[500, 200],
		);
		expect(log.acknowledged?.status).toBe(200);
	});

	it('retries after a timeout and after a refused connection, and stops at the first 2xx', async () => {
		const { server } = await receiver(['hang', 409, 202]);
		listening = server;
		const refused = await listenLocally(createServer());
		await refused.close();

		const sender = new StripeSenderSimulator(server.origin, SECRET, FAST);
		const log = await sender.deliver(event);
		const unreachable = await new StripeSenderSimulator(refused.origin, SECRET, {
			...FAST,
			giveUpAfterMs: 100,
		}).deliver(event);

		expect(
			log.attempts.map((attempt) => ('status' in attempt ? attempt.status : attempt.failure)),
		).toEqual(['timeout', 409, 202]);
		expect(sender.acknowledged).toBe(1);
		expect(sender.signatures).toHaveLength(3);
		expect(unreachable.acknowledged).toBeUndefined();
		expect(
			new Set(unreachable.attempts.map((attempt) => 'failure' in attempt && attempt.failure)),
		).toEqual(new Set(['connection']));
	});

	it('gives an event up after the horizon, unacknowledged', async () => {
		const { received, server } = await receiver(Array(1000).fill(503));
		listening = server;

		const log = await new StripeSenderSimulator(server.origin, SECRET, {
			...FAST,
			giveUpAfterMs: 150,
		}).deliver(event);

		expect(log.acknowledged).toBeUndefined();
		expect(log.attempts.length).toBeGreaterThan(1);
		expect(received).toHaveLength(log.attempts.length);
	});

	it('keeps at most the given number of deliveries in flight', async () => {
		let inFlight = 0;
		let most = 0;
		const server = await listenLocally(
			createServer((request, response) => {
				inFlight++;
				most = Math.max(most, inFlight);
				request.resume();
				request.on('end', () =>
					setTimeout(() => {
						inFlight--;
						response.writeHead(200).end('{}');
					}, 20),
				);
			}),
		);
		listening = server;
		const events = Array.from({ length: 30 }, (_, i) =>
			paymentSucceeded(`evt_sim_${i}`, `o${i}`, i),
		);

		const logs = await new StripeSenderSimulator(server.origin, SECRET, FAST).sendAll(events, 4);

		expect(logs.map((log) => log.event.id)).toEqual(events.map((e) => e.id));
		expect(most).toBe(4);
	});
});
