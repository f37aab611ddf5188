import { SignatureVerificationError } from './types';

/**
 * Answers the first configured secret that verifies: current first, then previous ones, so a
 * rotation never rejects a genuine delivery. Blank entries are not secrets. The caller keeps the
 * secret that matched (Zoom's handshake is answered with it), so nothing is verified twice.
 */
export function verifyWithAnySecret(
	secrets: readonly string[],
	matches: (secret: string) => boolean,
): string {
	let configured = 0;
	for (const secret of secrets) {
		if (!isConfigured(secret)) continue;
		if (matches(secret)) return secret;
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
): string {
	const keys: Key[] = [];
	const keyed: string[] = [];
	secrets.forEach((secret, index) => {
		if (!isConfigured(secret)) return;
		keys.push(toKey(secret, index + 1));
		keyed.push(secret);
	});
	const match = keys.findIndex(matches);
	if (match < 0) throw failure(keys.length);
	return keyed[match];
}

const isConfigured = (secret: string) => secret.trim() !== '';

function failure(configuredSecrets: number): SignatureVerificationError {
	return configuredSecrets === 0
		? new SignatureVerificationError('No secret configured', 'noSecret')
		: new SignatureVerificationError('No signature matched', 'signatureMismatch');
}
