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

export function verifyHubspotSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	return verifyCustomHmacSignature(request, options, HUBSPOT_V3);
}
