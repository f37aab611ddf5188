import type { CustomHmacConfig } from './customHmac';
import { requireHeader } from './headers';
import { SignatureVerificationError, type SignedRequest } from './types';

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
export function signedParts(
	request: SignedRequest,
	config: CustomHmacConfig,
): Array<string | Buffer> {
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
	// A configuration mistake, not a bad delivery: its own reason, so it never reads as a 401.
	if (!header) {
		throw new SignatureVerificationError(
			`The signed payload template uses {${placeholder}} but ${setting} is not set`,
			'invalidConfiguration',
		);
	}
	return requireHeader(request, header);
}
