import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** What every mock API of the tests records of a request it answered. */
export interface RequestRecord {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: IncomingHttpHeaders;
	/** The status the mock answered. */
	status: number;
}

export function recordRequest(request: IncomingMessage, url: URL, status: number): RequestRecord {
	return {
		method: request.method ?? 'GET',
		path: url.pathname,
		query: Object.fromEntries(url.searchParams),
		headers: request.headers,
		status,
	};
}
