import { signStandardWebhooks } from '../../lib/webhook/signedDeliveries';

/**
 * A webhook provider as the queue-mode tests need one: it signs each attempt with Standard
 * Webhooks at the moment it sends it, spreads deliveries over every webhook processor in turn (the
 * load balancer's round robin), and retries an attempt that got no answer at all on the next
 * processor, as a balancer fails over. With `retryFailures` it also retries every answer that is
 * not a 2xx, after Retry-After when given, else after a second, as Standard Webhooks senders do.
 */

export interface Delivery {
	eventId: string;
	body: string;
}

export interface Answer {
	eventId: string;
	status: number;
	/** The trigger's answer: `duplicate: true` for an event it has already seen. */
	body: { received?: boolean; duplicate?: boolean; id?: string; error?: string };
	retryAfter: string | null;
	/** With `retryFailures`: the answers other than 2xx before this one. */
	refusals: Answer[];
}

const CONNECTION_RETRY_DELAY_MS = 500;
const MAX_CONNECTION_RETRIES = 240;

export class WebhookSender {
	private next = 0;

	constructor(
		private readonly urls: readonly string[],
		private readonly secret: string,
		private readonly options: { retryFailures?: boolean } = {},
	) {}

	/** One delivery to the next processor in turn, retried as the options say. */
	async send(delivery: Delivery): Promise<Answer> {
		const refusals: Answer[] = [];
		for (;;) {
			const answer = await this.attempt(delivery);
			const failed = answer.status < 200 || answer.status > 299;
			if (!this.options.retryFailures || !failed) return { ...answer, refusals };
			refusals.push(answer);
			const waitSeconds = answer.retryAfter ? Number(answer.retryAfter) : 1;
			await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000));
		}
	}

	private async attempt({ eventId, body }: Delivery): Promise<Answer> {
		for (let connectionRetries = 0; ; connectionRetries++) {
			const url = this.urls[this.next++ % this.urls.length];
			const { headers } = signStandardWebhooks(
				body,
				this.secret,
				eventId,
				Math.floor(Date.now() / 1000),
			);
			try {
				const response = await fetch(url, {
					method: 'POST',
					headers: headers as Record<string, string>,
					body,
				});
				const text = await response.text();
				return {
					eventId,
					status: response.status,
					body: parseAnswer(text),
					retryAfter: response.headers.get('retry-after'),
					refusals: [],
				};
			} catch (error) {
				if (connectionRetries === MAX_CONNECTION_RETRIES) throw error;
				await new Promise((resolve) => setTimeout(resolve, CONNECTION_RETRY_DELAY_MS));
			}
		}
	}

	/** Every delivery in order, `concurrency` in flight at a time; answers in the same order. */
	async sendAll(deliveries: readonly Delivery[], concurrency: number): Promise<Answer[]> {
		const answers: Answer[] = new Array<Answer>(deliveries.length);
		let index = 0;
		const lane = async () => {
			for (let mine = index++; mine < deliveries.length; mine = index++) {
				answers[mine] = await this.send(deliveries[mine]);
			}
		};
		await Promise.all(Array.from({ length: concurrency }, lane));
		return answers;
	}
}

function parseAnswer(text: string): Answer['body'] {
	try {
		return JSON.parse(text) as Answer['body'];
	} catch {
		return { error: text };
	}
}

/** A deterministic shuffle (seeded LCG), so a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
	const result = [...items];
	let state = seed >>> 0;
	for (let i = result.length - 1; i > 0; i--) {
		state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
		const j = state % (i + 1);
		[result[i], result[j]] = [result[j], result[i]];
	}
	return result;
}
