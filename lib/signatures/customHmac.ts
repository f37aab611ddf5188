import { signaturesEqual, type SignatureEncoding } from './compare';
import { requireHeader, requireSignatureHeader } from './headers';
import { hmac, type HmacAlgorithm } from './hmac';
import { assertFresh, parseTimestamp } from './timestamp';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';
import { verifyWithAnySecret } from './verifyWithAnySecret';

export interface CustomHmacConfig {
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

type PayloadPart = (request: SignedRequest) => string | Buffer;

export interface CompiledHmacScheme {
	config: CustomHmacConfig;
	payload: PayloadPart[];
}

const PLACEHOLDER = /\{(body|timestamp|id|url|method)\}/;

/** Parses the template once; built-in schemes compile at load time, so a request only signs. */
export function compileHmacScheme(config: CustomHmacConfig): CompiledHmacScheme {
	const lowerCase = (header?: string) => header?.trim().toLowerCase() || undefined;
	const normalised: CustomHmacConfig = {
		...config,
		signatureHeader: config.signatureHeader.trim().toLowerCase(),
		timestampHeader: lowerCase(config.timestampHeader),
		idHeader: lowerCase(config.idHeader),
	};
	const payload: PayloadPart[] = [];
	(config.signedPayloadTemplate || '{body}').split(PLACEHOLDER).forEach((text, index) => {
		if (index % 2 === 1) payload.push(placeholderPart(text, normalised));
		else if (text !== '') payload.push(() => text);
	});
	return { config: normalised, payload };
}

function placeholderPart(placeholder: string, config: CustomHmacConfig): PayloadPart {
	switch (placeholder) {
		case 'timestamp':
			return headerPart(placeholder, 'timestampHeader', config.timestampHeader);
		case 'id':
			return headerPart(placeholder, 'idHeader', config.idHeader);
		case 'url':
			return (request) => request.url;
		case 'method':
			return (request) => request.method;
		default:
			return (request) => request.rawBody;
	}
}

/** A configuration mistake, not a bad delivery: a plain Error, so it never reads as a 401. */
function headerPart(placeholder: string, setting: string, header?: string): PayloadPart {
	if (header === undefined) {
		throw new Error(`The signed payload template uses {${placeholder}} but ${setting} is not set`);
	}
	return (request) => requireHeader(request, header);
}

export function verifyHmacScheme(
	request: SignedRequest,
	options: VerifyOptions,
	{ config, payload }: CompiledHmacScheme,
): VerifiedDelivery {
	const prefix = config.signaturePrefix ?? '';
	const signature = requireSignatureHeader(
		request,
		config.signatureHeader,
		prefix,
		config.encoding,
	);
	const timestampSeconds = checkTimestamp(request, options, config);
	const parts = payload.map((part) => part(request));
	verifyWithAnySecret(options.secrets, (secret) =>
		signaturesEqual(hmac(config.algorithm, secret, parts), signature),
	);
	return timestampSeconds === undefined ? {} : { timestampSeconds };
}

function checkTimestamp(
	request: SignedRequest,
	options: VerifyOptions,
	config: CustomHmacConfig,
): number | undefined {
	if (config.timestampHeader === undefined) return undefined;
	const unitsPerSecond = config.timestampUnit === 'milliseconds' ? 1000 : 1;
	const timestamp = parseTimestamp(
		requireHeader(request, config.timestampHeader),
		config.timestampHeader,
	);
	assertFresh(timestamp, options, unitsPerSecond);
	return timestamp / unitsPerSecond;
}

export function verifyCustomHmacSignature(
	request: SignedRequest,
	options: VerifyOptions,
	config: CustomHmacConfig,
): VerifiedDelivery {
	return verifyHmacScheme(request, options, compileHmacScheme(config));
}
