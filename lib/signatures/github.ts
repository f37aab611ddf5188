import { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
import { headerValue } from '../envelope';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';

const SHA256: CustomHmacConfig = {
	signatureHeader: 'x-hub-signature-256',
	signaturePrefix: 'sha256=',
	algorithm: 'sha256',
	encoding: 'hex',
};

/** Legacy, read only when the SHA-256 header is absent: never a downgrade when both are sent. */
const SHA1: CustomHmacConfig = {
	signatureHeader: 'x-hub-signature',
	signaturePrefix: 'sha1=',
	algorithm: 'sha1',
	encoding: 'hex',
};

export function verifyGithubSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	const legacyOnly =
		headerValue(request.headers, 'x-hub-signature-256') === undefined &&
		headerValue(request.headers, 'x-hub-signature') !== undefined;
	return verifyCustomHmacSignature(request, options, legacyOnly ? SHA1 : SHA256);
}
