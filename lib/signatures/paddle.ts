import { verifyTimestampedSignatureHeader } from './timestampedSignatureHeader';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';

/** Paddle Billing: `Paddle-Signature: ts=..;h1=..[;h1=..]` over `{ts}:{body}`. */
const PADDLE = {
	header: 'paddle-signature',
	separator: ';',
	timestampPrefix: 'ts=',
	signaturePrefix: 'h1=',
	joiner: ':',
};

export function verifyPaddleSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	return verifyTimestampedSignatureHeader(request, options, PADDLE);
}
