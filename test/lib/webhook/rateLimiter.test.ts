import { RateLimiter } from '../../../lib/webhook/rateLimiter';

function limiterWithClock() {
	let now = 1_750_000_000_000;
	const limiter = new RateLimiter(() => now);
	return { limiter, advance: (ms: number) => (now += ms) };
}

/** Takes `count` tokens and answers every wait. */
const takeMany = (limiter: RateLimiter, key: string, perMinute: number, count: number) =>
	Array.from({ length: count }, () => limiter.take(key, perMinute));

describe('RateLimiter', () => {
	it('allows a burst up to the limit at once', () => {
		const { limiter } = limiterWithClock();
		expect(takeMany(limiter, 'endpoint', 5, 5)).toEqual([0, 0, 0, 0, 0]);
	});

	it('answers the seconds until the next token once the burst is used', () => {
		const { limiter } = limiterWithClock();
		takeMany(limiter, 'endpoint', 6, 6);
		expect(limiter.take('endpoint', 6)).toBe(10);
	});

	it('answers at least 1 second, never 0, to a refused delivery', () => {
		const { limiter } = limiterWithClock();
		takeMany(limiter, 'endpoint', 6000, 6000);
		expect(limiter.take('endpoint', 6000)).toBe(1);
	});

	it('answers 60 seconds for a limit of 1 per minute', () => {
		const { limiter } = limiterWithClock();
		limiter.take('endpoint', 1);
		expect(limiter.take('endpoint', 1)).toBe(60);
	});

	it('shortens the wait as time passes', () => {
		const { limiter, advance } = limiterWithClock();
		takeMany(limiter, 'endpoint', 6, 6);
		advance(4_000);
		expect(limiter.take('endpoint', 6)).toBe(6);
	});

	it('refills one token per 60/limit seconds', () => {
		const { limiter, advance } = limiterWithClock();
		takeMany(limiter, 'endpoint', 6, 6);
		advance(10_000);
		expect(takeMany(limiter, 'endpoint', 6, 2)).toEqual([0, 10]);
	});

	it('refills no more than the limit after a long idle time', () => {
		const { limiter, advance } = limiterWithClock();
		takeMany(limiter, 'endpoint', 3, 3);
		advance(3_600_000);
		expect(takeMany(limiter, 'endpoint', 3, 4)).toEqual([0, 0, 0, 20]);
	});

	it('does not charge refused attempts', () => {
		const { limiter, advance } = limiterWithClock();
		takeMany(limiter, 'endpoint', 6, 6);
		takeMany(limiter, 'endpoint', 6, 20);
		advance(10_000);
		expect(limiter.take('endpoint', 6)).toBe(0);
	});

	it('keeps buckets separate per key', () => {
		const { limiter } = limiterWithClock();
		takeMany(limiter, 'workflow-1:node', 2, 3);
		expect(limiter.take('workflow-2:node', 2)).toBe(0);
	});

	it('lets a limit below 1 per minute through once, then every 60/limit seconds', () => {
		const { limiter } = limiterWithClock();
		expect(takeMany(limiter, 'endpoint', 0.5, 2)).toEqual([0, 120]);
	});
});
