import { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
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
