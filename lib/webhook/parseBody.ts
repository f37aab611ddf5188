/** Turns the verified raw bytes into the item's `data`, as the sender declared them. */

export type BodyFormat = 'auto' | 'json' | 'form' | 'text';

export class BodyParseError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'BodyParseError';
	}
}

/** n8n keeps a UTF-8 byte order mark in rawBody, and JSON.parse rejects it as an unexpected token. */
const BYTE_ORDER_MARK = '\uFEFF';

export function parseBody(
	rawBody: Buffer,
	contentType: string | undefined,
	format: BodyFormat,
): unknown {
	const effective = format === 'auto' ? formatFromContentType(contentType) : format;
	const decoded = rawBody.toString('utf8');
	const text = decoded.startsWith(BYTE_ORDER_MARK) ? decoded.slice(1) : decoded;
	if (effective === 'text') return text;
	if (effective === 'form') return parseForm(text);
	if (text.trim() === '') throw new BodyParseError('Request body is empty, expected JSON');
	try {
		return JSON.parse(text);
	} catch (error) {
		throw new BodyParseError(`Request body is not valid JSON: ${(error as Error).message}`);
	}
}

/** A repeated field (`tag=a&tag=b`) becomes an array in order, never a silent last-one-wins. */
function parseForm(text: string): Record<string, string | string[]> {
	const fields = new Map<string, string[]>();
	for (const [name, value] of new URLSearchParams(text)) {
		fields.set(name, [...(fields.get(name) ?? []), value]);
	}
	return Object.fromEntries(
		[...fields].map(([name, values]) => [name, values.length === 1 ? values[0] : values]),
	);
}

/** Without a content type the body is taken as JSON (what nearly every sender posts). */
function formatFromContentType(contentType: string | undefined): Exclude<BodyFormat, 'auto'> {
	const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
	if (mediaType === '' || mediaType === 'application/json' || mediaType.endsWith('+json')) {
		return 'json';
	}
	if (mediaType === 'application/x-www-form-urlencoded') return 'form';
	return 'text';
}
