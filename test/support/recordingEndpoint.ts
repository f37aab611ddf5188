import { createServer, type IncomingHttpHeaders } from 'node:http';

import { listenLocally } from './localServer';

/**
 * A local HTTP endpoint standing in for a downstream system (a warehouse, a fulfilment API): it
 * answers each request as the test says and keeps every request, with the answer it got.
 */

export interface RecordedRequest {
	method: string;
	path: string;
	headers: IncomingHttpHeaders;
	/** The parsed JSON body, or the raw text when it is not JSON. */
	body: unknown;
	/** The status the endpoint answered. */
	status: number;
}

export interface Answer {
	status: number;
	body: unknown;
}

export interface RecordingEndpoint {
	/** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
	url: string;
	readonly requests: RecordedRequest[];
	close(): Promise<void>;
}

function parse(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return text;
	}
}

export async function startRecordingEndpoint(
	answer: (request: Omit<RecordedRequest, 'status'>) => Answer,
): Promise<RecordingEndpoint> {
	const requests: RecordedRequest[] = [];
	const server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const received = {
				method: request.method ?? 'GET',
				path: request.url ?? '/',
				headers: request.headers,
				body: parse(Buffer.concat(chunks).toString('utf8')),
			};
			const { status, body } = answer(received);
			requests.push({ ...received, status });
			response.writeHead(status, { 'content-type': 'application/json' });
			response.end(JSON.stringify(body));
		});
	});
	const { origin, close } = await listenLocally(server);
	return { url: origin, requests, close };
}
