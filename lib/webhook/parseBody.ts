/** Turns the verified raw bytes into the item's `data`, as the sender declared them. */

export type BodyFormat = 'auto' | 'json' | 'form' | 'text';

export class BodyParseError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'BodyParseError';
	}
}

export function parseBody(
	rawBody: Buffer,
	contentType: string | undefined,
	format: BodyFormat,
): unknown {
	const effective = format === 'auto' ? formatFromContentType(contentType) : format;
	const text = rawBody.toString('utf8');
	if (effective === 'text') return text;
	if (effective === 'form') return Object.fromEntries(new URLSearchParams(text));
	if (text.trim() === '') throw new BodyParseError('Request body is empty, expected JSON');
	try {
		return JSON.parse(text);
	} catch (error) {
		throw new BodyParseError(`Request body is not valid JSON: ${(error as Error).message}`);
	}
}

function formatFromContentType(contentType: string | undefined): Exclude<BodyFormat, 'auto'> {
	const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
	if (mediaType === 'application/x-www-form-urlencoded') return 'form';
	if (mediaType.startsWith('text/')) return 'text';
	return 'json';
}
