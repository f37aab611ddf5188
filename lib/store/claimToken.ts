import { randomUUID } from 'node:crypto';

/**
 * A fencing token for one granted claim: 122 random bits, made by the caller's process. A counter
 * per key would restart once the key expired, was forgotten or was evicted, and a stale run could
 * then hold the same number as a new claim; a random token is never issued twice, needs no server
 * clock or sequence, and reads the same on every backend.
 */
export const newClaimToken = (): string => randomUUID();
