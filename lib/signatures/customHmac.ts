import { signaturesEqual, type SignatureEncoding } from './compare';
import { requireHeader, requireSignatureHeader } from './headers';
import { hmac, type HmacAlgorithm } from './hmac';
import { signedParts } from './signedPayload';
import { assertFresh, parseTimestamp } from './timestamp';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';
import { verifyWithAnySecret } from './verifyWithAnySecret';

export interface CustomHmacConfig {
	/** Header names may be in any case. */
	signatureHeader: string;
	/** e.g. 'sha256=': stripped before decoding; a header without it is malformed. */
	signaturePrefix?: string;
	algorithm: HmacAlgorithm;
	encoding: SignatureEncoding;
	/** Placeholders {body} {timestamp} {id} {url} {method}; empty or absent means '{body}'. */
	signedPayloadTemplate?: string;
	/** When set, the timestamp is required and checked against the tolerance. */
	timestampHeader?: string;
	/** Unit of the timestamp header, 'seconds' unless set. */
	timestampUnit?: 'seconds' | 'milliseconds';
	idHeader?: string;
}

export function verifyCustomHmacSignature(
	request: SignedRequest,
	options: VerifyOptions,
	config: CustomHmacConfig,
): VerifiedDelivery {
	const parts = signedParts(request, config);
	const prefix = config.signaturePrefix ?? '';
	const signature = requireSignatureHeader(
		request,
		config.signatureHeader,
		prefix,
		config.encoding,
	);
	const timestampSeconds = checkTimestamp(request, options, config);
	const secret = verifyWithAnySecret(options.secrets, (candidate) =>
		signaturesEqual(hmac(config.algorithm, candidate, parts), signature),
	);
	return timestampSeconds === undefined ? { secret } : { timestampSeconds, secret };
}

function checkTimestamp(
	request: SignedRequest,
	options: VerifyOptions,
	config: CustomHmacConfig,
): number | undefined {
	if (!config.timestampHeader) return undefined;
	const header = config.timestampHeader;
	const unitsPerSecond = config.timestampUnit === 'milliseconds' ? 1000 : 1;
	const timestamp = parseTimestamp(requireHeader(request, header), header);
	assertFresh(timestamp, options, unitsPerSecond);
	return timestamp / unitsPerSecond;
}
