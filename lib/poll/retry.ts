import { DateTime } from 'luxon';

export interface RetryPolicy {
	maxRetries: number;
	baseDelayMs: number;
	maxDelayMs: number;
}

/** Rate limited, or a server/gateway failure that usually passes; other statuses will not change. */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * How long to wait before retry number `attempt` (1 = the first retry), or null to give up: the
 * status is not retryable (undefined = network error, retryable) or the retries are used up.
 * Honours Retry-After (seconds or HTTP date, capped at maxDelayMs), else exponential backoff with
 * full jitter (a random wait up to base * 2^(attempt-1), capped) so many pollers do not retry in
 * step. `random` is injectable for tests.
 */
export function retryDelayMs(
	attempt: number,
	status: number | undefined,
	retryAfter: string | undefined,
	policy: RetryPolicy,
	nowMs: number,
	random: () => number = Math.random,
): number | null {
	if (attempt < 1 || attempt > policy.maxRetries) return null;
	if (status !== undefined && !RETRYABLE_STATUSES.has(status)) return null;
	const asked = retryAfterMs(retryAfter, nowMs);
	if (asked !== null) return Math.min(asked, policy.maxDelayMs);
	const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
	return Math.floor(random() * ceiling);
}

/** Retry-After as a wait in ms, or null when absent or unreadable; a date in the past is 0. */
export function retryAfterMs(retryAfter: string | undefined, nowMs: number): number | null {
	const text = retryAfter?.trim();
	if (!text) return null;
	if (/^\d+$/.test(text)) return Number(text) * 1000;
	const date = DateTime.fromHTTP(text);
	return date.isValid ? Math.max(0, date.toMillis() - nowMs) : null;
}
