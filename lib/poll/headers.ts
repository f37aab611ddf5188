/** Response headers as n8n's request helper and Node's http hand them over. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/**
 * Every value of one response header, whatever the case of its name (a repeated header, such as
 * several Link headers, arrives as an array). The one header reader of the poll modules: the
 * signature modules' reader takes a request and its first value only, which Link paging cannot use.
 */
export function headerValues(headers: ResponseHeaders, name: string): string[] {
	const wanted = name.toLowerCase();
	const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === wanted);
	const value = key === undefined ? undefined : headers[key];
	if (value === undefined) return [];
	return Array.isArray(value) ? value : [value];
}
