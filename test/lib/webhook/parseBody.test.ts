import { BodyParseError, parseBody } from '../../../lib/webhook/parseBody';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const BOM = '\uFEFF';

/** The typed error and its message, or a failure when parseBody did not throw. */
function parseError(run: () => unknown): BodyParseError {
	try {
		run();
	} catch (error) {
		expect(error).toBeInstanceOf(BodyParseError);
		return error as BodyParseError;
	}
	throw new Error('parseBody did not throw');
}

describe('parseBody', () => {
	describe('auto (from Content-Type)', () => {
		it('parses application/json', () => {
			expect(parseBody(bytes('{"a": 1}'), 'application/json', 'auto')).toEqual({ a: 1 });
		});

		it('ignores parameters and case in the content type', () => {
			const contentType = 'Application/JSON; charset=UTF-8';
			expect(parseBody(bytes('[1, 2]'), contentType, 'auto')).toEqual([1, 2]);
		});

		it('parses a +json vendor type as JSON', () => {
			const body = bytes('{"data": {"id": "1"}}');
			expect(parseBody(body, 'application/vnd.api+json', 'auto')).toEqual({ data: { id: '1' } });
		});

		it('parses a body without content type as JSON', () => {
			expect(parseBody(bytes('{"a": 1}'), undefined, 'auto')).toEqual({ a: 1 });
		});

		it('parses application/x-www-form-urlencoded into fields', () => {
			const body = bytes('From=%2B15550001&Body=hello+world');
			expect(parseBody(body, 'application/x-www-form-urlencoded', 'auto')).toEqual({
				From: '+15550001',
				Body: 'hello world',
			});
		});

		it('returns text/plain as text', () => {
			expect(parseBody(bytes('{"not": "parsed"}'), 'text/plain', 'auto')).toBe('{"not": "parsed"}');
		});

		it('returns a non-JSON declared type (application/xml) as text instead of failing as JSON', () => {
			const xml = '<event id="1"/>';
			expect(parseBody(bytes(xml), 'application/xml', 'auto')).toBe(xml);
		});
	});

	describe('forced format', () => {
		it('parses JSON whatever the content type says', () => {
			expect(parseBody(bytes('{"a": 1}'), 'text/plain', 'json')).toEqual({ a: 1 });
		});

		it('returns text whatever the content type says', () => {
			expect(parseBody(bytes('{"a": 1}'), 'application/json', 'text')).toBe('{"a": 1}');
		});

		it('parses form fields whatever the content type says', () => {
			expect(parseBody(bytes('a=1'), 'application/json', 'form')).toEqual({ a: '1' });
		});
	});

	describe('form', () => {
		it('keeps every value of a repeated field, in order', () => {
			expect(parseBody(bytes('tag=a&x=1&tag=b'), undefined, 'form')).toEqual({
				tag: ['a', 'b'],
				x: '1',
			});
		});

		it('keeps a field named __proto__ as data, without touching the prototype', () => {
			const fields = parseBody(bytes('__proto__=x&a=1'), undefined, 'form') as object;
			expect(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value).toBe('x');
			expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
		});

		it('answers an empty body with no fields', () => {
			expect(parseBody(Buffer.alloc(0), undefined, 'form')).toEqual({});
		});
	});

	describe('empty body', () => {
		it('is an error for JSON, with a message saying what was expected', () => {
			const error = parseError(() => parseBody(Buffer.alloc(0), 'application/json', 'auto'));
			expect(error.message).toBe('Request body is empty, expected JSON');
		});

		it('is an error for JSON when only whitespace was sent', () => {
			const error = parseError(() => parseBody(bytes(' \r\n'), undefined, 'json'));
			expect(error.message).toBe('Request body is empty, expected JSON');
		});

		it('is the empty string for text', () => {
			expect(parseBody(Buffer.alloc(0), 'text/plain', 'auto')).toBe('');
		});
	});

	describe('malformed JSON', () => {
		it('throws BodyParseError naming the problem and its position', () => {
			const error = parseError(() => parseBody(bytes('{"a": 1,}'), 'application/json', 'auto'));
			expect(error.message).toMatch(/^Request body is not valid JSON: .*position 8/);
		});

		it('throws BodyParseError for a truncated body', () => {
			const error = parseError(() => parseBody(bytes('{"a": '), undefined, 'json'));
			expect(error.message).toMatch(/^Request body is not valid JSON: /);
		});
	});

	describe('UTF-8 byte order mark (n8n keeps it in rawBody)', () => {
		it('is rejected by JSON.parse itself, which is why parseBody strips it', () => {
			expect(() => JSON.parse(`${BOM}{}`)).toThrow(SyntaxError);
		});

		it('is stripped before JSON parsing', () => {
			expect(parseBody(bytes(`${BOM}{"a": 1}`), 'application/json', 'auto')).toEqual({ a: 1 });
		});

		it('is stripped from text', () => {
			expect(parseBody(bytes(`${BOM}hello`), 'text/plain', 'auto')).toBe('hello');
		});

		it('is stripped from the first form field name', () => {
			expect(parseBody(bytes(`${BOM}a=1`), undefined, 'form')).toEqual({ a: '1' });
		});

		it('leaves a body of only a BOM empty (an error for JSON)', () => {
			const error = parseError(() => parseBody(bytes(BOM), undefined, 'json'));
			expect(error.message).toBe('Request body is empty, expected JSON');
		});

		it('is kept inside a value: only a leading one is a byte order mark', () => {
			expect(parseBody(bytes(`{"a": "${BOM}x"}`), undefined, 'json')).toEqual({ a: `${BOM}x` });
		});
	});

	it('decodes multi-byte UTF-8', () => {
		expect(parseBody(bytes('{"name": "Zoë 😀"}'), undefined, 'json')).toEqual({ name: 'Zoë 😀' });
	});
});
