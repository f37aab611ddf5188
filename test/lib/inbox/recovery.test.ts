import { InboxError } from '../../../lib/inbox/InboxError';
import { recoveryCandidate, recoveryRange } from '../../../lib/inbox/recovery';
import { keyRecord, NOW } from './records';

const GRACE = 120_000;
const receivedAgo = (ms: number) => ({ lastReceivedAt: NOW - ms });

describe('recoveryCandidate', () => {
	it('takes an entry kept but never claimed once the grace period passed', () => {
		expect(recoveryCandidate(receivedAgo(GRACE), undefined, NOW, GRACE)).toBe('notClaimed');
	});

	it('leaves an entry received again within the grace period: the trigger is on it', () => {
		expect(recoveryCandidate(receivedAgo(GRACE - 1), undefined, NOW, GRACE)).toBeNull();
	});

	it('takes a claim whose lease ran out', () => {
		const record = keyRecord('inProgress', { leaseExpiresAt: NOW - 1 });
		expect(recoveryCandidate(receivedAgo(GRACE * 5), record, NOW, GRACE)).toBe('stuck');
	});

	it('takes a released key', () => {
		expect(recoveryCandidate(receivedAgo(GRACE * 5), keyRecord('released'), NOW, GRACE)).toBe(
			'released',
		);
	});

	it.each(['completed', 'deadLetter'] as const)('leaves a %s key', (state) => {
		expect(recoveryCandidate(receivedAgo(GRACE * 5), keyRecord(state), NOW, GRACE)).toBeNull();
	});

	it('leaves a claim whose lease still runs', () => {
		expect(
			recoveryCandidate(receivedAgo(GRACE * 5), keyRecord('inProgress'), NOW, GRACE),
		).toBeNull();
	});
});

describe('recoveryRange', () => {
	it('lists from the look-back to the grace period before now, both included', () => {
		expect(recoveryRange({ graceMs: 1_000, lookBackMs: 10_000 }, NOW)).toEqual({
			from: NOW - 10_000,
			to: NOW - 999,
		});
	});

	it('refuses a look-back not longer than the grace period', () => {
		expect(() => recoveryRange({ graceMs: 10_000, lookBackMs: 10_000 }, NOW)).toThrow(InboxError);
	});

	it('refuses a negative grace period', () => {
		expect(() => recoveryRange({ graceMs: -1, lookBackMs: 10_000 }, NOW)).toThrow(
			/grace period 0 or more/,
		);
	});
});
