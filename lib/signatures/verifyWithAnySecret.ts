import { SignatureVerificationError } from './types';

/**
 * Passes when any configured secret verifies: current first, then previous ones, so a rotation
 * never rejects a genuine delivery.
 */
export function verifyWithAnySecret(
	secrets: readonly string[],
	matches: (secret: string) => boolean,
): void {
	verifyWithAnyKey(secrets, (secret) => secret, matches);
}

/**
 * The same for secrets that must be decoded first. Every secret becomes a key before the first
 * attempt, so a broken old secret is reported now, not on the day the sender falls back to it.
 * `position` counts from 1, for messages.
 */
export function verifyWithAnyKey<Key>(
	secrets: readonly string[],
	toKey: (secret: string, position: number) => Key,
	matches: (key: Key) => boolean,
): void {
	const keys: Key[] = [];
	secrets.forEach((secret, index) => {
		if (secret.trim() !== '') keys.push(toKey(secret, index + 1));
	});
	if (keys.length === 0) throw new SignatureVerificationError('No secret configured', 'noSecret');
	if (!keys.some(matches)) {
		throw new SignatureVerificationError('No signature matched', 'signatureMismatch');
	}
}
