import { BlockList, isIP } from 'node:net';

import { parseList } from '../text/parseList';

/** An address or range cannot hold a space or a comma: either separates entries. */
const LIST_SEPARATOR = /[\s,]+/;

export type IpAllowlistProblem = 'notAnAddress' | 'invalidPrefix';

/** The allowlist setting cannot be read; the message names the entry. */
export class IpAllowlistError extends Error {
	constructor(
		message: string,
		readonly reason: IpAllowlistProblem,
	) {
		super(message);
		this.name = 'IpAllowlistError';
	}
}

/** Parses "10.0.0.0/8, 203.0.113.7, 2001:db8::/32" into a matcher; throws on a malformed entry. */
export function parseIpAllowlist(list: string): BlockList | undefined {
	const entries = parseList(list, LIST_SEPARATOR);
	if (entries.length === 0) return undefined;
	const allowlist = new BlockList();
	for (const entry of entries) {
		const [address, prefix, ...rest] = entry.split('/');
		const family = isIP(address);
		if (family === 0 || rest.length > 0) {
			throw new IpAllowlistError(
				`"${entry}" in the IP allowlist is not an IP address or CIDR range`,
				'notAnAddress',
			);
		}
		const type = family === 4 ? 'ipv4' : 'ipv6';
		if (prefix === undefined) {
			allowlist.addAddress(address, type);
			continue;
		}
		// Digits only: Number('') is 0, and "10.0.0.0/" must not turn into "allow everyone".
		if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) {
			throw new IpAllowlistError(
				`"${entry}" in the IP allowlist has an invalid prefix length`,
				'invalidPrefix',
			);
		}
		allowlist.addSubnet(address, Number(prefix), type);
	}
	return allowlist;
}

export function isIpAllowed(allowlist: BlockList, ip: string | undefined): boolean {
	if (!ip) return false;
	const mapped = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
	const family = isIP(mapped);
	if (family === 0) return false;
	return allowlist.check(mapped, family === 4 ? 'ipv4' : 'ipv6');
}
