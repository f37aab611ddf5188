import { retryAfterMs, retryDelayMs } from '../../../lib/poll/retry';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const policy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 10_000 };
const highest = () => 0.999_999;

describe('retryDelayMs', () => {
	it.each([429, 500, 502, 503, 504])('retries status %d', (status) => {
		expect(retryDelayMs(1, status, undefined, policy, NOW, highest)).not.toBeNull();
	});

	it('retries a network error (no status)', () => {
		expect(retryDelayMs(1, undefined, undefined, policy, NOW, highest)).toBe(499);
	});

	it.each([400, 401, 403, 404, 422, 501])('gives up at once on status %d', (status) => {
		expect(retryDelayMs(1, status, '1', policy, NOW)).toBeNull();
	});

	it('gives up once the retries are used up', () => {
		expect(retryDelayMs(4, 503, undefined, policy, NOW)).toBeNull();
	});

	it('never retries when maxRetries is 0', () => {
		expect(retryDelayMs(1, 503, undefined, { ...policy, maxRetries: 0 }, NOW)).toBeNull();
	});

	it('doubles the backoff ceiling per attempt', () => {
		const delays = [1, 2, 3].map((attempt) =>
			retryDelayMs(attempt, 503, undefined, policy, NOW, () => 0.5),
		);
		expect(delays).toEqual([250, 500, 1000]);
	});

	it('draws the wait at random below the ceiling (full jitter)', () => {
		expect(retryDelayMs(2, 503, undefined, policy, NOW, () => 0)).toBe(0);
	});

	it('caps the backoff at maxDelayMs', () => {
		const many = { ...policy, maxRetries: 20 };
		expect(retryDelayMs(20, 503, undefined, many, NOW, () => 0.5)).toBe(5_000);
	});

	it('honours Retry-After in seconds', () => {
		expect(retryDelayMs(1, 429, '7', policy, NOW, highest)).toBe(7_000);
	});

	it('honours Retry-After as an HTTP date', () => {
		expect(retryDelayMs(1, 503, 'Wed, 01 Jan 2025 12:00:08 GMT', policy, NOW)).toBe(8_000);
	});

	it('caps Retry-After at maxDelayMs', () => {
		expect(retryDelayMs(1, 429, '3600', policy, NOW)).toBe(10_000);
	});

	it('falls back to the backoff when Retry-After is unreadable', () => {
		expect(retryDelayMs(1, 429, 'soon', policy, NOW, () => 0.5)).toBe(250);
	});
});

describe('retryAfterMs', () => {
	it('answers 0 for a date in the past', () => {
		expect(retryAfterMs('Wed, 01 Jan 2025 11:00:00 GMT', NOW)).toBe(0);
	});

	it('answers null when the header is absent', () => {
		expect(retryAfterMs(undefined, NOW)).toBeNull();
	});

	it('refuses negative or fractional seconds', () => {
		expect([retryAfterMs('-5', NOW), retryAfterMs('1.5', NOW)]).toEqual([null, null]);
	});
});
