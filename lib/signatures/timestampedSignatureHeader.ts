import { decodeStrict, signaturesEqual } from './compare';
import { malformedHeader, parseKeyValueHeader, requireHeader } from './headers';
import { hmac } from './hmac';
import { assertFresh, parseTimestamp } from './timestamp';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';
import { verifyWithAnySecret } from './verifyWithAnySecret';

/** One header carrying the timestamp and one or more hex HMAC-SHA256 signatures (Stripe, Paddle). */
export interface TimestampedSignatureHeader {
	header: string;
	/** Between the `key=value` items. */
	separator: string;
	timestampKey: string;
	signatureKey: string;
	/** Between the timestamp and the body in the signed bytes. */
	joiner: string;
}

export function verifyTimestampedSignatureHeader(
	request: SignedRequest,
	options: VerifyOptions,
	format: TimestampedSignatureHeader,
): VerifiedDelivery {
	const fields = parseKeyValueHeader(requireHeader(request, format.header), format.separator);
	const timestampText = fields.get(format.timestampKey)?.[0];
	if (timestampText === undefined) {
		throw malformedHeader(format.header, `has no timestamp (${format.timestampKey}=)`);
	}
	// Several signatures appear while the sender rolls its secret: any one may match.
	const signatures: Buffer[] = [];
	for (const text of fields.get(format.signatureKey) ?? []) {
		const signature = decodeStrict(text, 'hex');
		if (signature !== undefined) signatures.push(signature);
	}
	if (signatures.length === 0) {
		throw malformedHeader(format.header, `has no ${format.signatureKey} signature`);
	}
	const timestampSeconds = parseTimestamp(timestampText, format.header);
	assertFresh(timestampSeconds, options);
	const prefix = timestampText + format.joiner;
	verifyWithAnySecret(options.secrets, (secret) => {
		const expected = hmac('sha256', secret, [prefix, request.rawBody]);
		return signatures.some((signature) => signaturesEqual(expected, signature));
	});
	return { timestampSeconds };
}
