import { setTimeout as delay } from 'node:timers/promises';

import { stripeDelivery } from '../e2e/stripeDelivery';

/**
 * A webhook sender that behaves as Stripe documents it, on a compressed clock: each event is one
 * fixed payload (Stripe resends the same bytes), signed afresh for every attempt (new `t=`), and
 * retried with exponential backoff after a connection error, a timeout or any answer that is not
 * 2xx, until the give-up horizon (Stripe's three days). A 2xx ends the event: Stripe never
 * retries an acknowledged delivery, whatever happens to it afterwards. Retry-After is not read
 * (Stripe does not document honouring it).
 */

export interface RetryPolicy {
	/** An attempt without an answer by then is abandoned and counts as failed. */
	timeoutMs: number;
	/** Delay before the first retry; each further retry waits twice as long, up to `maxDelayMs`. */
	firstDelayMs: number;
	maxDelayMs: number;
	/** After this long since the first attempt, the event is given up (never acknowledged). */
	giveUpAfterMs: number;
}

/** Stripe's schedule (retries for up to three days, exponential backoff) in seconds and minutes. */
export const COMPRESSED_STRIPE_POLICY: RetryPolicy = {
	timeoutMs: 15_000,
	firstDelayMs: 500,
	maxDelayMs: 4_000,
	giveUpAfterMs: 8 * 60_000,
};

/** One event as Stripe sends it: its id, type and the exact bytes of every delivery of it. */
export interface StripeEvent {
	id: string;
	type: string;
	body: string;
}

/**
 * A Stripe Event object (https://docs.stripe.com/api/events/object) around `object`, serialised
 * once: `id`, `object: "event"`, `api_version`, `created`, `data.object`, `livemode`,
 * `pending_webhooks`, `request`, `type`.
 */
export function stripeEvent(
	id: string,
	type: string,
	object: Record<string, unknown>,
): StripeEvent {
	const body = JSON.stringify({
		id,
		object: 'event',
		api_version: '2024-06-20',
		created: Math.floor(Date.now() / 1000),
		data: { object },
		livemode: false,
		pending_webhooks: 1,
		request: { id: `req_${id.slice(4)}`, idempotency_key: null },
		type,
	});
	return { id, type, body };
}

/** A `payment_intent.succeeded` event for an order, as a shop's checkout produces them. */
export const paymentSucceeded = (id: string, order: string, amount: number): StripeEvent =>
	stripeEvent(id, 'payment_intent.succeeded', {
		id: `pi_${id.slice(4)}`,
		object: 'payment_intent',
		amount,
		amount_received: amount,
		currency: 'eur',
		status: 'succeeded',
		metadata: { order },
	});

/** How one attempt ended, and when (epoch ms). */
export type AttemptOutcome = { at: number } & (
	| { status: number; body: string }
	| { failure: 'timeout' | 'connection' }
);

export interface DeliveryLog {
	event: StripeEvent;
	attempts: AttemptOutcome[];
	/** The 2xx answer that ended the event; absent when the sender gave up. */
	acknowledged?: { status: number; body: string; at: number };
}

const isSuccess = (outcome: AttemptOutcome) =>
	'status' in outcome && outcome.status >= 200 && outcome.status <= 299;

export class StripeSenderSimulator {
	/** Every event's log, by event id, as attempts happen. */
	readonly logs = new Map<string, DeliveryLog>();
	/** The `v1=` value of every signature sent, so a test can look for it where it must not be. */
	readonly signatures: string[] = [];
	private readonly stopped = new AbortController();

	private readonly urls: readonly string[];
	private nextUrl = 0;

	/** With several URLs, each attempt goes to the next in turn, as a load balancer spreads them. */
	constructor(
		url: string | readonly string[],
		private readonly secret: string,
		private readonly policy: RetryPolicy = COMPRESSED_STRIPE_POLICY,
	) {
		this.urls = typeof url === 'string' ? [url] : url;
	}

	/** Events acknowledged with a 2xx so far. */
	get acknowledged(): number {
		return [...this.logs.values()].filter((log) => log.acknowledged).length;
	}

	/** Delivers one event until a 2xx, or until the policy gives up. */
	async deliver(event: StripeEvent): Promise<DeliveryLog> {
		const log: DeliveryLog = { event, attempts: [] };
		this.logs.set(event.id, log);
		const giveUpAt = Date.now() + this.policy.giveUpAfterMs;
		let delayMs = this.policy.firstDelayMs;
		while (!this.stopped.signal.aborted) {
			const outcome = await this.attempt(event);
			log.attempts.push(outcome);
			if (isSuccess(outcome)) {
				log.acknowledged = outcome as { status: number; body: string; at: number };
				return log;
			}
			if (Date.now() + delayMs > giveUpAt) return log;
			await this.sleep(delayMs);
			delayMs = Math.min(delayMs * 2, this.policy.maxDelayMs);
		}
		return log;
	}

	/** Every event in order, `concurrency` deliveries in flight at once (Stripe's parallel sends). */
	async sendAll(events: readonly StripeEvent[], concurrency = 10): Promise<DeliveryLog[]> {
		const logs = new Array<DeliveryLog>(events.length);
		let next = 0;
		const lane = async () => {
			for (let mine = next++; mine < events.length; mine = next++) {
				logs[mine] = await this.deliver(events[mine]);
			}
		};
		await Promise.all(Array.from({ length: concurrency }, lane));
		return logs;
	}

	/** Ends every retry loop at its next step (for a test's teardown). */
	stop(): void {
		this.stopped.abort();
	}

	private async attempt(event: StripeEvent): Promise<AttemptOutcome> {
		const { headers } = stripeDelivery(event.body, this.secret);
		this.signatures.push(/v1=([0-9a-f]+)/.exec(headers['stripe-signature'])![1]);
		const timeout = AbortSignal.timeout(this.policy.timeoutMs);
		try {
			const response = await fetch(this.urls[this.nextUrl++ % this.urls.length], {
				method: 'POST',
				headers,
				body: event.body,
				signal: AbortSignal.any([timeout, this.stopped.signal]),
			});
			return { status: response.status, body: await response.text(), at: Date.now() };
		} catch {
			return { failure: timeout.aborted ? 'timeout' : 'connection', at: Date.now() };
		}
	}

	private async sleep(ms: number): Promise<void> {
		await delay(ms, undefined, { signal: this.stopped.signal }).catch(() => undefined);
	}
}
