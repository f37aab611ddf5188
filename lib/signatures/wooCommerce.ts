import { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
import { headerValue } from '../envelope';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';

/** WooCommerce: base64 HMAC-SHA256 of the body. */
const WOO_COMMERCE: CustomHmacConfig = {
	signatureHeader: 'x-wc-webhook-signature',
	algorithm: 'sha256',
	encoding: 'base64',
	signedPayloadTemplate: '{body}',
};

export function verifyWooCommerceSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	return verifyCustomHmacSignature(request, options, WOO_COMMERCE);
}

const PING_BODY = /^webhook_id=\d+$/;

/**
 * WooCommerce pings a new webhook's URL with the unsigned form body `webhook_id=<n>` and refuses
 * to save the webhook unless the answer is 200. The ping carries no event, so answering it
 * unsigned starts nothing and reveals nothing.
 */
export function isWooCommercePing(request: SignedRequest): boolean {
	return (
		headerValue(request.headers, WOO_COMMERCE.signatureHeader) === undefined &&
		request.rawBody.length < 32 &&
		PING_BODY.test(request.rawBody.toString('latin1'))
	);
}
