/**
 * The pure rules of one key, fencing tokens and crash counting first: the backends must agree
 * with these (the contract suite checks them on real servers).
 */
import omit from 'lodash/omit';

import type { KeyRecord } from '../../../lib/store/IdempotencyStore';
import {
	decideClaim,
	decideComplete,
	decideRelease,
	decideRequeue,
	leaseRanOut,
} from '../../../lib/store/transitions';

const NOW = 1_750_000_000_000;
const LEASE_MS = 60_000;
const RETENTION_MS = 86_400_000;

const held = (overrides: Partial<KeyRecord> = {}): KeyRecord => ({
	namespace: 'ns',
	key: 'k',
	state: 'inProgress',
	attempts: 1,
	releases: 0,
	crashes: 0,
	token: 'token-a',
	claimedAt: NOW - 1000,
	leaseExpiresAt: NOW + 1000,
	expiresAt: NOW + 1000 + RETENTION_MS,
	updatedAt: NOW - 1000,
	...overrides,
});
const lapsed = (overrides: Partial<KeyRecord> = {}) => held({ leaseExpiresAt: NOW, ...overrides });

describe('leaseRanOut', () => {
	it('is true from the lease end on, for inProgress records only', () => {
		expect(leaseRanOut(held({ leaseExpiresAt: NOW + 1 }), NOW)).toBe(false);
		expect(leaseRanOut(held({ leaseExpiresAt: NOW }), NOW)).toBe(true);
		expect(leaseRanOut(held({ state: 'released', leaseExpiresAt: NOW }), NOW)).toBe(false);
		expect(leaseRanOut(undefined, NOW)).toBe(false);
	});
});

describe('decideClaim', () => {
	const claim = (found: KeyRecord | undefined, options: { maxAttempts?: number } = {}) =>
		decideClaim('ns', found, { key: 'k' }, 'token-new', NOW, {
			leaseMs: LEASE_MS,
			deadLetterRetentionMs: RETENTION_MS,
			...options,
		});

	it('gives an absent key the new token, zero counters and a record kept past the lease', () => {
		expect(claim(undefined)).toEqual({
			status: 'claimed',
			write: true,
			record: {
				namespace: 'ns',
				key: 'k',
				state: 'inProgress',
				attempts: 1,
				releases: 0,
				crashes: 0,
				token: 'token-new',
				claimedAt: NOW,
				leaseExpiresAt: NOW + LEASE_MS,
				expiresAt: NOW + LEASE_MS + RETENTION_MS,
				updatedAt: NOW,
			},
		});
	});

	it('leaves a live lease to its holder', () => {
		expect(claim(held())).toMatchObject({ status: 'inProgress', write: false, record: held() });
	});

	it('takes a lapsed lease over with a new token and counts the crash', () => {
		expect(claim(lapsed({ attempts: 2, releases: 1 }))).toMatchObject({
			status: 'claimed',
			write: true,
			record: { attempts: 3, releases: 1, crashes: 1, token: 'token-new' },
		});
	});

	it('counts no crash when claiming a released key', () => {
		const decision = claim(held({ state: 'released', releases: 1, leaseExpiresAt: undefined }));
		expect(decision.record).toMatchObject({ attempts: 2, releases: 1, crashes: 0 });
	});

	it('dead-letters a lapsed key that already used maxAttempts claims, keeping the lost token', () => {
		expect(claim(lapsed({ attempts: 3, crashes: 2 }), { maxAttempts: 3 })).toEqual({
			status: 'deadLetter',
			write: true,
			record: {
				...lapsed({ attempts: 3 }),
				state: 'deadLetter',
				crashes: 3,
				completedAt: NOW,
				leaseExpiresAt: undefined,
				expiresAt: NOW + RETENTION_MS,
				updatedAt: NOW,
			},
		});
	});

	it('still claims a lapsed key below maxAttempts', () => {
		expect(claim(lapsed({ attempts: 2 }), { maxAttempts: 3 }).status).toBe('claimed');
	});

	it('reads counters absent from records stored before they existed as zero', () => {
		const old = omit(lapsed(), ['releases', 'crashes', 'token']);
		expect(claim(old).record).toMatchObject({ attempts: 2, releases: 0, crashes: 1 });
	});
});

describe('decideComplete', () => {
	const complete = (found: KeyRecord | undefined, token?: string) =>
		decideComplete('ns', found, { key: 'k', token, result: 'r' }, NOW, RETENTION_MS);

	it('completes for the token holder and keeps its token and counters', () => {
		expect(complete(held({ crashes: 1 }), 'token-a')).toMatchObject({
			status: 'completed',
			write: true,
			record: { state: 'completed', token: 'token-a', crashes: 1, result: 'r' },
		});
	});

	it('answers lostClaim, writing nothing, for a key another claim holds', () => {
		expect(complete(held({ token: 'token-b' }), 'token-a')).toEqual({
			status: 'lostClaim',
			write: false,
			record: held({ token: 'token-b' }),
		});
	});

	it('answers lostClaim for a key another claim completed', () => {
		const decision = complete(held({ state: 'completed', token: 'token-b' }), 'token-a');
		expect(decision).toMatchObject({ status: 'lostClaim', write: false });
	});

	it('answers lostClaim for a record without a token (claimed before tokens existed)', () => {
		expect(complete(held({ token: undefined }), 'token-a').status).toBe('lostClaim');
	});

	it('lets the holder complete after its lease ran out when no one took over', () => {
		expect(complete(lapsed(), 'token-a').status).toBe('completed');
	});

	it('without a token: completes whoever holds the key, and a lapsed lease is not claimed', () => {
		expect(complete(held({ token: 'token-b' })).status).toBe('completed');
		expect(complete(lapsed())).toMatchObject({ status: 'notClaimed', write: true });
	});

	it('records an absent key as completed under the given token', () => {
		expect(complete(undefined, 'token-a')).toMatchObject({
			status: 'notClaimed',
			write: true,
			record: { token: 'token-a', attempts: 0, releases: 0, crashes: 0 },
		});
	});
});

describe('decideRelease', () => {
	const release = (found: KeyRecord | undefined, token?: string, maxAttempts = 3) =>
		decideRelease(found, { key: 'k', token }, NOW, maxAttempts, RETENTION_MS);

	it('releases for the token holder and counts the release', () => {
		expect(release(held(), 'token-a')).toMatchObject({
			status: 'released',
			write: true,
			record: { state: 'released', releases: 1, crashes: 0, token: 'token-a' },
		});
	});

	it('answers lostClaim, writing nothing, for another claim', () => {
		expect(release(held({ token: 'token-b' }), 'token-a')).toMatchObject({
			status: 'lostClaim',
			write: false,
		});
	});

	it('answers notClaimed for its own claim released already', () => {
		const decision = release(held({ state: 'released' }), 'token-a');
		expect(decision).toMatchObject({ status: 'notClaimed', write: false });
	});

	it('dead-letters at maxAttempts, crashes counted among the attempts', () => {
		expect(release(held({ attempts: 3, crashes: 2 }), 'token-a')).toMatchObject({
			status: 'deadLettered',
			record: { state: 'deadLetter', releases: 1, crashes: 2 },
		});
	});

	it('without a token: a lapsed lease is not claimed any more', () => {
		expect(release(lapsed())).toMatchObject({ status: 'notClaimed', write: false });
		expect(release(lapsed(), 'token-a').status).toBe('released');
	});
});

describe('decideRequeue', () => {
	const deadLetter = held({
		state: 'deadLetter',
		attempts: 3,
		releases: 2,
		crashes: 1,
		completedAt: NOW - 500,
		leaseExpiresAt: undefined,
		expiresAt: NOW + RETENTION_MS,
	});

	it('releases a dead letter with attempts 0, keeping its counters, token and expiry', () => {
		expect(decideRequeue(deadLetter, NOW)).toEqual({
			status: 'requeued',
			write: true,
			record: {
				...omit(deadLetter, 'completedAt', 'leaseExpiresAt'),
				state: 'released',
				attempts: 0,
				updatedAt: NOW,
			},
		});
	});

	it.each([
		['a live claim', held()],
		['a lapsed claim', lapsed()],
		['a completed key', held({ state: 'completed', completedAt: NOW - 1 })],
		['a released key', held({ state: 'released', attempts: 2 })],
	])('leaves %s as it is', (_label, found) => {
		expect(decideRequeue(found, NOW)).toEqual({ status: 'untouched', record: found, write: false });
	});

	it('answers nothing for an absent key', () => {
		expect(decideRequeue(undefined, NOW)).toEqual({
			status: 'untouched',
			record: undefined,
			write: false,
		});
	});
});
