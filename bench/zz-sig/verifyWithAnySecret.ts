import { SignatureVerificationError } from './types';

/**
 * Passes when any configured secret verifies: current first, then previous ones, so a rotation
 * never rejects a genuine delivery. Blank entries are not secrets.
 */
export function verifyWithAnySecret(
	secrets: readonly string[],
	matches: (secret: string) => boolean,
): void {
	let configured = 0;
	for (const secret of secrets) {
		if (!isConfigured(secret)) continue;
		if (matches(secret)) return;
		configured++;
	}
	throw failure(configured);
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
		if (isConfigured(secret)) keys.push(toKey(secret, index + 1));
	});
	if (!keys.some(matches)) throw failure(keys.length);
}

const isConfigured = (secret: string) => secret.trim() !== '';

function failure(configuredSecrets: number): SignatureVerificationError {
	return configuredSecrets === 0
		? new SignatureVerificationError('No secret configured', 'noSecret')
		: new SignatureVerificationError('No signature matched', 'signatureMismatch');
}
