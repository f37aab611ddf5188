import { signaturesEqual, type SignatureEncoding } from './compare';
import { requireHeader, requireSignatureHeader } from './headers';
import { hmac, type HmacAlgorithm } from './hmac';
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
	verifyWithAnySecret(options.secrets, (secret) =>
		signaturesEqual(hmac(config.algorithm, secret, parts), signature),
	);
	return timestampSeconds === undefined ? {} : { timestampSeconds };
}

const PLACEHOLDER = /\{(body|timestamp|id|url|method)\}/;
/** Literal text at even indexes, placeholder names at odd ones; split once per distinct template. */
const parsedTemplates = new Map<string, string[]>();

function parseTemplate(template: string): string[] {
	let pieces = parsedTemplates.get(template);
	if (pieces === undefined) {
		if (parsedTemplates.size >= 100) parsedTemplates.clear();
		pieces = template.split(PLACEHOLDER);
		parsedTemplates.set(template, pieces);
	}
	return pieces;
}

/** The signed bytes as separate parts, fed to the HMAC one by one: the body is never copied. */
function signedParts(request: SignedRequest, config: CustomHmacConfig): Array<string | Buffer> {
	const pieces = parseTemplate(config.signedPayloadTemplate || '{body}');
	const parts: Array<string | Buffer> = [];
	for (let index = 0; index < pieces.length; index++) {
		if (index % 2 === 1) parts.push(placeholderValue(request, pieces[index], config));
		else if (pieces[index] !== '') parts.push(pieces[index]);
	}
	return parts;
}

function placeholderValue(
	request: SignedRequest,
	placeholder: string,
	config: CustomHmacConfig,
): string | Buffer {
	switch (placeholder) {
		case 'timestamp':
			return configuredHeader(request, placeholder, 'timestampHeader', config.timestampHeader);
		case 'id':
			return configuredHeader(request, placeholder, 'idHeader', config.idHeader);
		case 'url':
			return request.url;
		case 'method':
			return request.method;
		default:
			return request.rawBody;
	}
}

function configuredHeader(
	request: SignedRequest,
	placeholder: string,
	setting: string,
	header?: string,
): string {
	// A configuration mistake, not a bad delivery: a plain Error, so it never reads as a 401.
	if (!header) {
		throw new Error(`The signed payload template uses {${placeholder}} but ${setting} is not set`);
	}
	return requireHeader(request, header);
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
