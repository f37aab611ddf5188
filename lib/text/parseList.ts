/**
 * The entries of a list typed into one parameter ("amount, currency" or one per line): split at
 * `separator`, trimmed, blanks dropped. The separator is the caller's because what may sit inside
 * an entry differs: a field name can hold spaces, a secret or an IP range cannot.
 */
export function parseList(list: string, separator: string | RegExp = ','): string[] {
	return list
		.split(separator)
		.map((entry) => entry.trim())
		.filter((entry) => entry !== '');
}
