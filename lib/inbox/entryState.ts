import type { KeyRecord } from '../store/IdempotencyStore';

/**
 * Where a kept delivery's event stands, read from its key record (same namespace, key = event id):
 * - `notClaimed`: kept, but no claim was ever taken (the process died between keep and claim, or
 *   the key record expired);
 * - `stuck`: claimed, but the lease ran out without Complete or Release (the run crashed or hung);
 * - the key's own state otherwise.
 */
export type EntryState =
	| 'notClaimed'
	| 'inProgress'
	| 'stuck'
	| 'completed'
	| 'released'
	| 'deadLetter';

export const ENTRY_STATES: readonly EntryState[] = [
	'notClaimed',
	'inProgress',
	'stuck',
	'completed',
	'released',
	'deadLetter',
];

export function entryState(record: KeyRecord | undefined, now: number): EntryState {
	if (record === undefined) return 'notClaimed';
	if (record.state === 'inProgress' && (record.leaseExpiresAt ?? Infinity) <= now) return 'stuck';
	return record.state;
}

/** States a sweep takes back without a person: nobody holds them and nobody finished them. */
const RECOVERABLE: ReadonlySet<EntryState> = new Set(['notClaimed', 'released', 'stuck']);

/** States a redrive never claims: done, or parked for a person (Requeue Dead Letters is for those). */
const FINISHED: ReadonlySet<EntryState> = new Set(['completed', 'deadLetter']);

export const isRecoverable = (state: EntryState): boolean => RECOVERABLE.has(state);
export const isRedrivable = (state: EntryState): boolean => !FINISHED.has(state);
