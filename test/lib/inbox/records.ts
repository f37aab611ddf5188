import type { KeyRecord } from '../../../lib/store/IdempotencyStore';

export const NOW = Date.parse('2026-03-01T12:00:00Z');

/** A key record as a store answers it, in `state`, changed `updatedAgoMs` before NOW. */
export const keyRecord = (
	state: KeyRecord['state'],
	fields: Partial<KeyRecord> = {},
): KeyRecord => ({
	namespace: 'webhook:orders',
	key: 'evt_1',
	state,
	attempts: 1,
	releases: 0,
	crashes: 0,
	claimedAt: NOW - 60_000,
	expiresAt: NOW + 86_400_000,
	updatedAt: NOW - 60_000,
	...(state === 'inProgress' ? { leaseExpiresAt: NOW + 60_000 } : {}),
	...fields,
});
