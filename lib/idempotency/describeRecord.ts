import type { KeyRecord } from '../store/IdempotencyStore';

const iso = (epochMs: number | undefined) =>
	epochMs === undefined ? null : new Date(epochMs).toISOString();

/**
 * A key's record as an item field: what an operator or a downstream node needs to decide.
 * `token` is the fencing token this item holds (its claim's), never the record's: an item that
 * found the key held by another run must not carry that run's token to a Complete or Release.
 */
export function describeRecord(record: KeyRecord | undefined, status: string, token?: string) {
	return {
		status,
		key: record?.key ?? null,
		namespace: record?.namespace ?? null,
		state: record?.state ?? null,
		...(token !== undefined ? { token } : {}),
		attempts: record?.attempts ?? 0,
		releases: record?.releases ?? 0,
		crashes: record?.crashes ?? 0,
		claimedAt: iso(record?.claimedAt),
		completedAt: iso(record?.completedAt),
		leaseExpiresAt: iso(record?.leaseExpiresAt),
		expiresAt: iso(record?.expiresAt),
		...(record?.fingerprint !== undefined ? { fingerprint: record.fingerprint } : {}),
		...(record?.result !== undefined ? { result: record.result } : {}),
	};
}

/**
 * The `idempotency` field of an item that holds a granted claim, carrying that claim's token: the
 * same for every node that claims before the run (the trigger, the Webhook Inbox), so the same
 * Complete and Release follow any of them.
 */
export const describeClaim = (record: KeyRecord) => describeRecord(record, 'claimed', record.token);
