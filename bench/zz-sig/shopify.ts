import { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';

/** Shopify: base64 HMAC-SHA256 of the body. `X-Shopify-Triggered-At` is not signed, so no tolerance. */
const SHOPIFY: CustomHmacConfig = {
	signatureHeader: 'x-shopify-hmac-sha256',
	algorithm: 'sha256',
	encoding: 'base64',
	signedPayloadTemplate: '{body}',
};

export function verifyShopifySignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	return verifyCustomHmacSignature(request, options, SHOPIFY);
}
