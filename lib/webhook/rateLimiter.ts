import type { Clock } from '../store/IdempotencyStore';

/**
 * Token bucket per endpoint: a retry storm from one sender gets 429 + Retry-After instead of
 * starting thousands of executions. In memory on purpose: it guards this process's engine.
 */
export class RateLimiter {
	private readonly buckets = new Map<string, { tokens: number; refilledAt: number }>();

	constructor(private readonly clock: Clock = Date.now) {}

	/** Takes one token; answers 0 when allowed, else the seconds to wait before the next try. */
	take(bucketKey: string, perMinute: number): number {
		const now = this.clock();
		const refillPerMs = perMinute / 60_000;
		// At least one token fits, or a limit below 1 per minute (0.5) would refuse every delivery.
		const capacity = Math.max(1, perMinute);
		const bucket = this.buckets.get(bucketKey) ?? { tokens: capacity, refilledAt: now };
		bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.refilledAt) * refillPerMs);
		bucket.refilledAt = now;
		this.buckets.set(bucketKey, bucket);
		if (bucket.tokens >= 1) {
			bucket.tokens -= 1;
			return 0;
		}
		return Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000));
	}
}
