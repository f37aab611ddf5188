import { createSecretKey, type KeyObject } from 'crypto';

import { decodeStrict, signaturesEqual, verifyWithAnySecret } from '../../../lib/signatures';
import { verifyWithAnyKey } from '../../../lib/signatures/verifyWithAnySecret';
import { keyCache } from '../../../lib/signatures/keyCache';
import { assertFresh } from '../../../lib/signatures/timestamp';
import { expectRejection, NOW, options } from './helpers';

const HEX = 'a'.repeat(64);
const BASE64 = Buffer.alloc(32, 7).toString('base64');

describe('decodeStrict', () => {
	it('decodes hex in either case', () => {
		expect(decodeStrict(HEX.toUpperCase(), 'hex')).toEqual(Buffer.alloc(32, 0xaa));
	});

	it('refuses hex with a trailing character Node would silently drop', () => {
		expect(decodeStrict(`${HEX}0`, 'hex')).toBeUndefined();
	});

	it('refuses hex with a character outside 0-9a-f', () => {
		expect(decodeStrict(`${HEX.slice(2)}zz`, 'hex')).toBeUndefined();
	});

	it('decodes padded base64', () => {
		expect(decodeStrict(BASE64, 'base64')).toEqual(Buffer.alloc(32, 7));
	});

	it('refuses base64 with a character outside the alphabet', () => {
		expect(decodeStrict(`${BASE64.slice(0, 40)}a!b=`, 'base64')).toBeUndefined();
	});

	it('refuses base64 with a trailing character Node would silently drop', () => {
		expect(decodeStrict(`${BASE64}A`, 'base64')).toBeUndefined();
	});

	it('refuses unpadded base64', () => {
		expect(decodeStrict(BASE64.replace(/=+$/, ''), 'base64')).toBeUndefined();
	});

	it('refuses an empty value', () => {
		expect(decodeStrict('', 'hex')).toBeUndefined();
	});
});

describe('signaturesEqual', () => {
	it('is true for equal bytes', () => {
		expect(signaturesEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
	});

	it('is false for another length instead of throwing like timingSafeEqual', () => {
		expect(signaturesEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
	});

	it('is false for other bytes of the same length', () => {
		expect(signaturesEqual(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
	});
});

describe('verifyWithAnySecret', () => {
	it('tries the secrets in order and stops at the first match', () => {
		const tried: string[] = [];
		verifyWithAnySecret(['current', 'previous', 'older'], (secret) => {
			tried.push(secret);
			return secret === 'previous';
		});
		expect(tried).toEqual(['current', 'previous']);
	});

	it('skips blank secrets', () => {
		const tried: string[] = [];
		verifyWithAnySecret(['', ' ', 'previous'], (secret) => tried.push(secret) > 0);
		expect(tried).toEqual(['previous']);
	});

	it('reports noSecret when every secret is blank', () => {
		expectRejection(() => verifyWithAnySecret(['', '\n'], () => true), 'noSecret', []);
	});

	it('reports signatureMismatch when no secret matches', () => {
		const error = expectRejection(
			() => verifyWithAnySecret(['s3cr3t-a', 's3cr3t-b'], () => false),
			'signatureMismatch',
			['s3cr3t-a', 's3cr3t-b'],
		);
		expect(error.message).toBe('No signature matched');
	});
});

describe('verifyWithAnyKey', () => {
	it('turns every secret into a key before the first attempt, numbering positions from 1', () => {
		const positions: number[] = [];
		verifyWithAnyKey(
			['a', '', 'c'],
			(_secret, position) => positions.push(position),
			() => true,
		);
		expect(positions).toEqual([1, 3]);
	});
});

describe('assertFresh', () => {
	it('rounds the skew up so the message never reads "300 s > 300 s"', () => {
		const error = expectRejection(
			() => assertFresh(NOW, options([], { nowSeconds: NOW + 300.2 })),
			'timestampTooOld',
			[],
		);
		expect(error.message).toBe('Message timestamp too old (301 s > 300 s tolerance)');
	});

	it('accepts a fractional clock within the tolerance', () => {
		expect(() => assertFresh(NOW, options([], { nowSeconds: NOW - 299.9 }))).not.toThrow();
	});
});

describe('keyCache', () => {
	const counting = () => {
		const derived: string[] = [];
		const cache = keyCache((secret): KeyObject | undefined => {
			derived.push(secret);
			return secret === 'unusable' ? undefined : createSecretKey(secret, 'utf8');
		});
		return { cache, derived };
	};

	it('derives each secret once', () => {
		const { cache, derived } = counting();
		expect(cache('s3cr3t')).toBe(cache('s3cr3t'));
		expect(derived).toEqual(['s3cr3t']);
	});

	it('keeps no unusable secret', () => {
		const { cache, derived } = counting();
		expect(cache('unusable')).toBeUndefined();
		expect(cache('unusable')).toBeUndefined();
		expect(derived).toEqual(['unusable', 'unusable']);
	});

	it('stays bounded: a full cache starts over', () => {
		const { cache, derived } = counting();
		for (let index = 0; index <= 64; index++) cache(`secret-${index}`);
		cache('secret-0');
		expect(derived.filter((secret) => secret === 'secret-0')).toHaveLength(2);
	});
});
