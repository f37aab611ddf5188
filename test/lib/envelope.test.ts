import { Settings } from 'luxon';

import { headerValue, readField, redactHeaders, toIsoTimestamp } from '../../lib/envelope';

describe('headerValue', () => {
	it('finds a header by any spelling of its name (n8n gives lower-case names)', () => {
		expect(headerValue({ 'x-github-event': 'push' }, 'X-GitHub-Event')).toBe('push');
	});

	it('answers the first value of a repeated header', () => {
		expect(headerValue({ 'x-id': ['first', 'second'] }, 'x-id')).toBe('first');
	});

	it('treats an empty value as absent (the signature verifiers read headers through it too)', () => {
		expect(headerValue({ 'x-sig': '' }, 'x-sig')).toBeUndefined();
	});
});

describe('readField', () => {
	describe('header candidates', () => {
		it('answers the first candidate present, in the given order', () => {
			const headers = { 'svix-id': 'msg_svix', 'webhook-id': 'msg_standard' };
			expect(readField({ header: ['webhook-id', 'svix-id'] }, headers, {})).toBe('msg_standard');
		});

		it('falls through to a later candidate when the first is missing', () => {
			expect(readField({ header: ['webhook-id', 'svix-id'] }, { 'svix-id': 'msg_svix' }, {})).toBe(
				'msg_svix',
			);
		});

		it('treats an empty header as missing', () => {
			const headers = { 'webhook-id': '', 'svix-id': 'msg_svix' };
			expect(readField({ header: ['webhook-id', 'svix-id'] }, headers, {})).toBe('msg_svix');
		});

		it('prefers a header over the body path', () => {
			const source = { header: ['x-event-id'], bodyPath: 'id' };
			expect(readField(source, { 'x-event-id': 'from-header' }, { id: 'from-body' })).toBe(
				'from-header',
			);
		});

		it('falls back to the body path when no candidate header is present', () => {
			expect(readField({ header: ['x-event-id'], bodyPath: 'id' }, {}, { id: 'from-body' })).toBe(
				'from-body',
			);
		});
	});

	describe('body paths', () => {
		it('reads a dotted path', () => {
			const body = { data: { object: { id: 'in_1' } } };
			expect(readField({ bodyPath: 'data.object.id' }, {}, body)).toBe('in_1');
		});

		it('reads through an array index', () => {
			expect(
				readField({ bodyPath: 'events.1.id' }, {}, { events: [{ id: 'a' }, { id: 'b' }] }),
			).toBe('b');
		});

		it('answers a number as its decimal text', () => {
			expect(readField({ bodyPath: 'eventId' }, {}, { eventId: 1234567 })).toBe('1234567');
		});

		it('answers 0 as "0" (a falsy number is still an id)', () => {
			expect(readField({ bodyPath: 'id' }, {}, { id: 0 })).toBe('0');
		});

		it('ignores a number that is not finite', () => {
			expect(readField({ bodyPath: 'id' }, {}, { id: Number.POSITIVE_INFINITY })).toBeUndefined();
		});

		it('ignores an empty string', () => {
			expect(readField({ bodyPath: 'id' }, {}, { id: '' })).toBeUndefined();
		});

		it.each([
			['a boolean', true],
			['an object', { nested: 'x' }],
			['an array', ['x']],
			['null', null],
		])('ignores %s', (_, id) => {
			expect(readField({ bodyPath: 'id' }, {}, { id })).toBeUndefined();
		});

		it('answers undefined for a path that does not exist', () => {
			expect(readField({ bodyPath: 'data.id' }, {}, { other: 1 })).toBeUndefined();
		});

		it('answers undefined when the body is text, not an object', () => {
			expect(readField({ bodyPath: 'length' }, {}, 'a text body')).toBeUndefined();
		});

		it('answers undefined when the body is null', () => {
			expect(readField({ bodyPath: 'id' }, {}, null)).toBeUndefined();
		});
	});

	it('answers undefined for an empty source', () => {
		expect(readField({}, { 'x-id': '1' }, { id: '1' })).toBeUndefined();
	});
});

describe('toIsoTimestamp', () => {
	const ISO = '2023-11-14T22:13:20.000Z';

	describe('numbers', () => {
		it('reads epoch seconds', () => {
			expect(toIsoTimestamp(1_700_000_000)).toBe(ISO);
		});

		it('reads epoch milliseconds', () => {
			expect(toIsoTimestamp(1_700_000_000_000)).toBe(ISO);
		});

		it('keeps fractional seconds', () => {
			expect(toIsoTimestamp(1_700_000_000.25)).toBe('2023-11-14T22:13:20.250Z');
		});

		it('reads 0 as the epoch', () => {
			expect(toIsoTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
		});

		it('answers null for NaN', () => {
			expect(toIsoTimestamp(Number.NaN)).toBeNull();
		});

		it('answers null for a number too large to be a date', () => {
			expect(toIsoTimestamp(1e20)).toBeNull();
		});
	});

	describe('numeric strings', () => {
		it('reads epoch seconds', () => {
			expect(toIsoTimestamp('1700000000')).toBe(ISO);
		});

		it('reads epoch milliseconds', () => {
			expect(toIsoTimestamp('1700000000000')).toBe(ISO);
		});

		it('reads fractional epoch seconds (Slack event_ts)', () => {
			expect(toIsoTimestamp('1700000000.500000')).toBe('2023-11-14T22:13:20.500Z');
		});

		it('ignores whitespace around the number', () => {
			expect(toIsoTimestamp(' 1700000000\n')).toBe(ISO);
		});
	});

	describe('ISO 8601', () => {
		it('reads UTC (Z)', () => {
			expect(toIsoTimestamp('2023-11-14T22:13:20Z')).toBe(ISO);
		});

		it('converts a positive offset to UTC', () => {
			expect(toIsoTimestamp('2023-11-15T00:13:20+02:00')).toBe(ISO);
		});

		it('converts a negative offset to UTC', () => {
			expect(toIsoTimestamp('2023-11-14T17:13:20.000-05:00')).toBe(ISO);
		});

		it('reads a date without a time as midnight UTC', () => {
			expect(toIsoTimestamp('2023-11-14')).toBe('2023-11-14T00:00:00.000Z');
		});

		it('reads a time without offset as UTC, whatever the n8n host zone is', () => {
			const hostZone = Settings.defaultZone;
			Settings.defaultZone = 'America/New_York';
			try {
				expect(toIsoTimestamp('2023-11-14T22:13:20')).toBe(ISO);
			} finally {
				Settings.defaultZone = hostZone;
			}
		});
	});

	describe('RFC 2822', () => {
		it('reads GMT', () => {
			expect(toIsoTimestamp('Tue, 14 Nov 2023 22:13:20 GMT')).toBe(ISO);
		});

		it('converts a numeric offset to UTC', () => {
			expect(toIsoTimestamp('Tue, 14 Nov 2023 23:13:20 +0100')).toBe(ISO);
		});
	});

	it('reads an SQL timestamp as UTC', () => {
		expect(toIsoTimestamp('2023-11-14 22:13:20')).toBe(ISO);
	});

	describe('garbage', () => {
		it.each([
			['words', 'not a date'],
			['an impossible date', '2023-13-45'],
			['a negative number as text', '-1'],
			['a bare time (would read as today)', '12:00'],
			['a bare time with T (would read as today)', 'T12:00'],
			['an empty string', ''],
			['whitespace', '   '],
		])('answers null for %s', (_, value) => {
			expect(toIsoTimestamp(value)).toBeNull();
		});

		it.each([
			['undefined', undefined],
			['null', null],
			['a boolean', true],
			['an object', { seconds: 1_700_000_000 }],
			['a Date', new Date(1_700_000_000_000)],
		])('answers null for %s', (_, value) => {
			expect(toIsoTimestamp(value)).toBeNull();
		});
	});
});

describe('redactHeaders', () => {
	it.each([
		'authorization',
		'proxy-authorization',
		'cookie',
		'set-cookie',
		'stripe-signature',
		'webhook-signature',
		'x-hub-signature-256',
		'x-zm-signature',
		'x-shopify-hmac-sha256',
		'x-square-hmacsha256-signature',
		'x-gitlab-token',
		'x-auth-token',
		'x-api-key',
		'apikey',
		'x-webhook-secret',
		'x-password',
		'X-Custom-Signature',
	])('redacts %s', (name) => {
		expect(redactHeaders({ [name]: 'sensitive-value' })).toEqual({ [name]: '[redacted]' });
	});

	it('keeps headers that authenticate nothing', () => {
		const headers = {
			'content-type': 'application/json',
			'user-agent': 'Stripe/1.0',
			'webhook-id': 'msg_1',
			'x-github-event': 'push',
			'x-forwarded-for': '203.0.113.7',
		};
		expect(redactHeaders(headers)).toEqual(headers);
	});

	it('joins a repeated header with ", "', () => {
		expect(redactHeaders({ via: ['1.1 a', '1.1 b'] })).toEqual({ via: '1.1 a, 1.1 b' });
	});

	it('redacts every value of a repeated sensitive header', () => {
		expect(redactHeaders({ 'set-cookie': ['a=1', 'b=2'] })).toEqual({ 'set-cookie': '[redacted]' });
	});

	it('drops headers without a value', () => {
		expect(redactHeaders({ 'content-type': undefined, accept: '*/*' })).toEqual({ accept: '*/*' });
	});

	it('redacts the extra names given, in any spelling (a custom signature header)', () => {
		expect(redactHeaders({ 'x-hook-sig': 'abc', 'x-other': 'kept' }, ['X-Hook-Sig'])).toEqual({
			'x-hook-sig': '[redacted]',
			'x-other': 'kept',
		});
	});

	it('does not change the headers it was given', () => {
		const headers = { authorization: 'Bearer abc' };
		redactHeaders(headers);
		expect(headers).toEqual({ authorization: 'Bearer abc' });
	});
});
