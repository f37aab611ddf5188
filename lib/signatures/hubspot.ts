import { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';

/** HubSpot v3: base64 HMAC-SHA256 of method, URL, body and the timestamp in milliseconds. */
const HUBSPOT_V3: CustomHmacConfig = {
	signatureHeader: 'x-hubspot-signature-v3',
	algorithm: 'sha256',
	encoding: 'base64',
	signedPayloadTemplate: '{method}{url}{body}{timestamp}',
	timestampHeader: 'x-hubspot-request-timestamp',
	timestampUnit: 'milliseconds',
};

/**
 * HubSpot signs the URI with these escapes decoded (its request-validation docs list exactly
 * these); any other escape, `%20` included, stays as sent.
 */
const DECODED_ESCAPES = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;

export function decodeHubspotUri(url: string): string {
	return url.replace(DECODED_ESCAPES, (_escape, hex: string) =>
		String.fromCharCode(parseInt(hex, 16)),
	);
}

export function verifyHubspotSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	return verifyCustomHmacSignature(
		{ ...request, url: decodeHubspotUri(request.url) },
		options,
		HUBSPOT_V3,
	);
}
