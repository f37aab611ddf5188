import { decodeStrict } from '../signatures';
import { parseList } from '../text/parseList';

/** The credential's secrets, current first: any of them verifies (rotation). */
export function signingSecretsFrom(credential: {
	secret?: unknown;
	previousSecrets?: unknown;
}): string[] {
	// A secret holds no space or comma, so either separates the previous ones.
	return parseList(
		[credential.secret ?? '', credential.previousSecrets ?? ''].map(String).join(' '),
		/[\s,]+/,
	);
}

/**
 * What can be checked offline (there is no sender to ask): a secret is present, and a
 * `whsec_` secret (Standard Webhooks, Svix) carries valid base64. Answers a problem or undefined.
 */
export function findSigningSecretProblem(credential: {
	secret?: unknown;
	previousSecrets?: unknown;
}): string | undefined {
	if (String(credential.secret ?? '').trim() === '') return 'The secret is empty';
	for (const secret of signingSecretsFrom(credential)) {
		if (!secret.startsWith('whsec_')) continue;
		// The Standard Webhooks verifier's own decoding, so "OK" here means deliveries can verify.
		if (decodeStrict(secret.slice('whsec_'.length), 'base64') === undefined) {
			return 'A secret starting with "whsec_" must continue with base64 (as Standard Webhooks and Svix issue it); check that it was copied whole';
		}
	}
	return undefined;
}
