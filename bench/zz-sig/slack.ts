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
