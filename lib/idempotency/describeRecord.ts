import type { KeyRecord } from '../store/IdempotencyStore';

const iso = (epochMs: number | undefined) =>
	epochMs === undefined ? null : new Date(epochMs).toISOString();

/** A key's record as an item field: what an operator or a downstream node needs to decide. */
export function describeRecord(record: KeyRecord | undefined, status: string) {
	return {
		status,
		key: record?.key ?? null,
		namespace: record?.namespace ?? null,
		state: record?.state ?? null,
		attempts: record?.attempts ?? 0,
		claimedAt: iso(record?.claimedAt),
		completedAt: iso(record?.completedAt),
		leaseExpiresAt: iso(record?.leaseExpiresAt),
		expiresAt: iso(record?.expiresAt),
		...(record?.fingerprint !== undefined ? { fingerprint: record.fingerprint } : {}),
		...(record?.result !== undefined ? { result: record.result } : {}),
	};
}
