import { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';

/** Slack: `v0=` hex HMAC-SHA256 of `v0:{timestamp}:{body}`. */
const SLACK: CustomHmacConfig = {
	signatureHeader: 'x-slack-signature',
	signaturePrefix: 'v0=',
	algorithm: 'sha256',
	encoding: 'hex',
	signedPayloadTemplate: 'v0:{timestamp}:{body}',
	timestampHeader: 'x-slack-request-timestamp',
};

export function verifySlackSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	return verifyCustomHmacSignature(request, options, SLACK);
}

/**
 * Slack's handshakes, answered only after the signature verified: the Events API checks a Request
 * URL with a signed `url_verification` event and wants its `challenge` back; slash commands
 * send `ssl_check=1` and want a 200. Neither is an event.
 */
export function answerSlackHandshake(body: unknown): Record<string, string> | undefined {
	if (body === null || typeof body !== 'object') return undefined;
	const { type, challenge, ssl_check: sslCheck } = body as Record<string, unknown>;
	if (type === 'url_verification' && typeof challenge === 'string') return { challenge };
	if (sslCheck === '1') return {};
	return undefined;
}
