import { entryState, isRecoverable, isRedrivable } from '../../../lib/inbox/entryState';
import { keyRecord, NOW } from './records';

describe('entryState', () => {
	it('reads an entry without a key record as never claimed', () => {
		expect(entryState(undefined, NOW)).toBe('notClaimed');
	});

	it('reads a claim whose lease ran out as stuck', () => {
		expect(entryState(keyRecord('inProgress', { leaseExpiresAt: NOW }), NOW)).toBe('stuck');
	});

	it('reads a claim whose lease still runs as in progress', () => {
		expect(entryState(keyRecord('inProgress', { leaseExpiresAt: NOW + 1 }), NOW)).toBe(
			'inProgress',
		);
	});

	it.each(['completed', 'released', 'deadLetter'] as const)(
		'reads a %s key as its state',
		(state) => {
			expect(entryState(keyRecord(state), NOW)).toBe(state);
		},
	);
});

describe('which states a sweep or a redrive takes', () => {
	it.each([
		['notClaimed', true, true],
		['stuck', true, true],
		['released', true, true],
		['inProgress', false, true],
		['completed', false, false],
		['deadLetter', false, false],
	] as const)('%s: recoverable %s, redrivable %s', (state, recoverable, redrivable) => {
		expect([isRecoverable(state), isRedrivable(state)]).toEqual([recoverable, redrivable]);
	});
});
