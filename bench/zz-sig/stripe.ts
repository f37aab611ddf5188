import { verifyTimestampedSignatureHeader } from './timestampedSignatureHeader';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';

/** `Stripe-Signature: t=..,v1=..[,v1=..]` over `{t}.{body}`; the key is the `whsec_` string itself. */
const STRIPE = {
	header: 'stripe-signature',
	separator: ',',
	timestampPrefix: 't=',
	signaturePrefix: 'v1=',
	joiner: '.',
};

export function verifyStripeSignature(
	request: SignedRequest,
	options: VerifyOptions,
): VerifiedDelivery {
	return verifyTimestampedSignatureHeader(request, options, STRIPE);
}
