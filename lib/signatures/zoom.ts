import { createHmac } from 'crypto';

import { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';

/** Zoom: `v0=` hex HMAC-SHA256 of `v0:{timestamp}:{body}`, the secret token as key. */
const ZOOM: CustomHmacConfig = {
	signatureHeader: 'x-zm-signature',
	signaturePrefix: 'v0=',
	algorithm: 'sha256',
	encoding: 'hex',
	signedPayloadTemplate: 'v0:{timestamp}:{body}',
	timestampHeader: 'x-zm-request-timestamp',
};

export function verifyZoomSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	return verifyCustomHmacSignature(request, options, ZOOM);
}

/** The answer to Zoom's `endpoint.url_validation` challenge, sent back as the JSON response body. */
export function answerZoomUrlValidation(
	plainToken: string,
	secret: string,
): { plainToken: string; encryptedToken: string } {
	const encryptedToken = createHmac('sha256', secret).update(plainToken).digest('hex');
	return { plainToken, encryptedToken };
}

/** Zoom's `endpoint.url_validation` event, answered with the secret that verified it. */
export function answerZoomHandshake(
	body: unknown,
	secret: string,
): { plainToken: string; encryptedToken: string } | undefined {
	if (body === null || typeof body !== 'object') return undefined;
	const { event, payload } = body as { event?: unknown; payload?: { plainToken?: unknown } };
	if (event !== 'endpoint.url_validation' || typeof payload?.plainToken !== 'string') {
		return undefined;
	}
	return answerZoomUrlValidation(payload.plainToken, secret);
}
