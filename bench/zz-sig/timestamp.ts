import { malformedHeader } from './headers';
import { SignatureVerificationError, type VerifyOptions } from './types';

const UNIX_TIMESTAMP = /^\d{1,16}$/;

export function parseTimestamp(value: string, header: string): number {
	if (!UNIX_TIMESTAMP.test(value)) throw malformedHeader(header, 'is not a Unix timestamp');
	return Number(value);
}

/**
 * Rejects a timestamp outside the tolerance in either direction: a future one is as suspicious as
 * a stale one. `unitsPerSecond` lets HubSpot compare its milliseconds without rounding.
 */
export function assertFresh(timestamp: number, options: VerifyOptions, unitsPerSecond = 1): void {
	const tolerance = options.toleranceSeconds * unitsPerSecond;
	const age = options.nowSeconds * unitsPerSecond - timestamp;
	if (age > tolerance) throw skewError('too old', age / unitsPerSecond, options, 'timestampTooOld');
	if (-age > tolerance) {
		throw skewError('too far in the future', -age / unitsPerSecond, options, 'timestampInFuture');
	}
}

function skewError(
	problem: string,
	skewSeconds: number,
	options: VerifyOptions,
	reason: 'timestampTooOld' | 'timestampInFuture',
): SignatureVerificationError {
	// Rounded up so the message never reads "300 s > 300 s".
	const detail = `${Math.ceil(skewSeconds)} s > ${options.toleranceSeconds} s tolerance`;
	return new SignatureVerificationError(`Message timestamp ${problem} (${detail})`, reason);
}
