import { IpAllowlistError, isIpAllowed, parseIpAllowlist } from '../../../lib/webhook/ipAllowlist';

/** The matcher for a list that must parse. */
function allowlist(list: string) {
	const parsed = parseIpAllowlist(list);
	if (parsed === undefined) throw new Error(`"${list}" parsed to no allowlist`);
	return parsed;
}

const allowed = (list: string, ip: string | undefined) => isIpAllowed(allowlist(list), ip);

describe('parseIpAllowlist', () => {
	it('answers undefined (no restriction) for an empty list', () => {
		expect(parseIpAllowlist('')).toBeUndefined();
	});

	it('answers undefined for a list of only separators', () => {
		expect(parseIpAllowlist(' ,\n, ')).toBeUndefined();
	});

	it('accepts commas, spaces and new lines between entries', () => {
		const list = '203.0.113.7,198.51.100.0/24\n2001:db8::1  192.0.2.1';
		expect(
			['203.0.113.7', '198.51.100.9', '2001:db8::1', '192.0.2.1'].map((ip) => allowed(list, ip)),
		).toEqual([true, true, true, true]);
	});

	describe('malformed entries throw with the entry named', () => {
		it.each([
			['not-an-ip', 'is not an IP address or CIDR range'],
			['256.1.1.1', 'is not an IP address or CIDR range'],
			['10.0.0', 'is not an IP address or CIDR range'],
			['example.com/24', 'is not an IP address or CIDR range'],
			['10.0.0.0/8/16', 'is not an IP address or CIDR range'],
			['10.0.0.0/33', 'has an invalid prefix length'],
			['2001:db8::/129', 'has an invalid prefix length'],
			['10.0.0.0/-1', 'has an invalid prefix length'],
			['10.0.0.0/8.5', 'has an invalid prefix length'],
			['10.0.0.0/0x8', 'has an invalid prefix length'],
			['10.0.0.0/1e1', 'has an invalid prefix length'],
		])('%s', (entry, problem) => {
			expect(() => parseIpAllowlist(`192.0.2.1, ${entry}`)).toThrow(
				`"${entry}" in the IP allowlist ${problem}`,
			);
		});

		it.each([
			['example.com', 'notAnAddress'],
			['10.0.0.0/33', 'invalidPrefix'],
		])('%s throws the typed error with reason %s', (entry, reason) => {
			let caught: unknown;
			try {
				parseIpAllowlist(entry);
			} catch (error) {
				caught = error;
			}
			expect(caught).toBeInstanceOf(IpAllowlistError);
			expect((caught as IpAllowlistError).reason).toBe(reason);
		});

		it('10.0.0.0/ (empty prefix) throws instead of allowing every address', () => {
			expect(() => parseIpAllowlist('10.0.0.0/')).toThrow(
				'"10.0.0.0/" in the IP allowlist has an invalid prefix length',
			);
		});
	});
});

describe('isIpAllowed', () => {
	describe('IPv4', () => {
		it('allows a listed address', () => {
			expect(allowed('203.0.113.7', '203.0.113.7')).toBe(true);
		});

		it('refuses an address that is not listed', () => {
			expect(allowed('203.0.113.7', '203.0.113.8')).toBe(false);
		});

		it('allows the first and last address of a CIDR range', () => {
			expect([allowed('10.0.0.0/8', '10.0.0.0'), allowed('10.0.0.0/8', '10.255.255.255')]).toEqual([
				true,
				true,
			]);
		});

		it('refuses the address just past a CIDR range', () => {
			expect(allowed('10.0.0.0/8', '11.0.0.0')).toBe(false);
		});

		it('allows everyone with an explicit /0', () => {
			expect(allowed('0.0.0.0/0', '8.8.8.8')).toBe(true);
		});
	});

	describe('IPv6', () => {
		it('allows a listed address written differently (compressed vs full)', () => {
			expect(allowed('2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001')).toBe(true);
		});

		it('allows an address inside a CIDR range', () => {
			expect(allowed('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
		});

		it('refuses an address outside a CIDR range', () => {
			expect(allowed('2001:db8::/32', '2001:db9::1')).toBe(false);
		});

		it('refuses an IPv4 sender against an IPv6-only list', () => {
			expect(allowed('2001:db8::/32', '203.0.113.7')).toBe(false);
		});
	});

	describe('IPv4-mapped IPv6 (how a dual-stack server reports IPv4 senders)', () => {
		it('allows ::ffff:1.2.3.4 by its IPv4 entry', () => {
			expect(allowed('1.2.3.4', '::ffff:1.2.3.4')).toBe(true);
		});

		it('allows a mapped address inside an IPv4 CIDR range', () => {
			expect(allowed('10.0.0.0/8', '::ffff:10.20.30.40')).toBe(true);
		});

		it('allows the upper-case form ::FFFF:1.2.3.4', () => {
			expect(allowed('1.2.3.4', '::FFFF:1.2.3.4')).toBe(true);
		});

		it('allows the hexadecimal form ::ffff:102:304', () => {
			expect(allowed('1.2.3.4', '::ffff:102:304')).toBe(true);
		});

		it('refuses a mapped address that is not listed', () => {
			expect(allowed('1.2.3.4', '::ffff:1.2.3.5')).toBe(false);
		});
	});

	describe('missing or unreadable sender address', () => {
		it('refuses undefined', () => {
			expect(allowed('0.0.0.0/0', undefined)).toBe(false);
		});

		it('refuses the empty string', () => {
			expect(allowed('0.0.0.0/0', '')).toBe(false);
		});

		it('refuses text that is not an address', () => {
			expect(allowed('0.0.0.0/0', 'unknown')).toBe(false);
		});
	});
});
