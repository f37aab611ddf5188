import { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';

/** Square: base64 HMAC-SHA256 of the notification URL followed by the body. */
const SQUARE: CustomHmacConfig = {
	signatureHeader: 'x-square-hmacsha256-signature',
	algorithm: 'sha256',
	encoding: 'base64',
	signedPayloadTemplate: '{url}{body}',
};

export function verifySquareSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	return verifyCustomHmacSignature(request, options, SQUARE);
}
