import { decodeStrict, signaturesEqual } from './compare';
import { malformedHeader, requireHeader } from './headers';
import { hmac } from './hmac';
import { assertFresh, parseTimestamp } from './timestamp';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';
import { verifyWithAnySecret } from './verifyWithAnySecret';

/** One header carrying the timestamp and one or more hex HMAC-SHA256 signatures (Stripe, Paddle). */
export interface TimestampedSignatureHeader {
	header: string;
	/** Between the items, e.g. ',' in `t=1,v1=a,v1=b`. */
	separator: string;
	/** e.g. 't=' */
	timestampPrefix: string;
	/** e.g. 'v1='; items of other schemes are ignored. */
	signaturePrefix: string;
	/** Between the timestamp and the body in the signed bytes. */
	joiner: string;
}

export function verifyTimestampedSignatureHeader(
	request: SignedRequest,
	options: VerifyOptions,
	format: TimestampedSignatureHeader,
): VerifiedDelivery {
	const { timestampText, signatures } = parseHeader(requireHeader(request, format.header), format);
	const timestampSeconds = parseTimestamp(timestampText, format.header);
	assertFresh(timestampSeconds, options);
	const prefix = timestampText + format.joiner;
	const secret = verifyWithAnySecret(options.secrets, (candidate) => {
		const expected = hmac('sha256', candidate, [prefix, request.rawBody]);
		return signatures.some((signature) => signaturesEqual(expected, signature));
	});
	return { timestampSeconds, secret };
}

function parseHeader(
	value: string,
	format: TimestampedSignatureHeader,
): { timestampText: string; signatures: Buffer[] } {
	let timestampText: string | undefined;
	// Several signatures appear while the sender rolls its secret: any one may match.
	const signatures: Buffer[] = [];
	// Scanned in place rather than split: this runs on every delivery.
	for (let start = 0; start < value.length; ) {
		const separator = value.indexOf(format.separator, start);
		const end = separator < 0 ? value.length : separator;
		while (value[start] === ' ') start++;
		if (value.startsWith(format.timestampPrefix, start)) {
			timestampText ??= value.slice(start + format.timestampPrefix.length, end).trim();
		} else if (value.startsWith(format.signaturePrefix, start)) {
			const text = value.slice(start + format.signaturePrefix.length, end).trim();
			const signature = decodeStrict(text, 'hex');
			if (signature !== undefined) signatures.push(signature);
		}
		start = end + 1;
	}
	if (timestampText === undefined) {
		throw malformedHeader(format.header, `has no timestamp (${format.timestampPrefix})`);
	}
	if (signatures.length === 0) {
		throw malformedHeader(format.header, `has no ${format.signaturePrefix} signature`);
	}
	return { timestampText, signatures };
}
