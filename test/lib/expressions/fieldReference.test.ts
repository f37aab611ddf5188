import { fieldReferencePath, readOwnPath } from '../../../lib/expressions/fieldReference';

describe('fieldReferencePath', () => {
	it.each([
		['={{ $json.id }}', ['id']],
		['={{$json.id}}', ['id']],
		['={{ $json.data.object.id }}', ['data', 'object', 'id']],
		['={{ $json["event-id"] }}', ['event-id']],
		["={{ $json['x y'].id }}", ['x y', 'id']],
		['={{ $json.lines[0].sku }}', ['lines', '0', 'sku']],
		['={{ $json.$id }}', ['$id']],
	])('reads %s as a field path', (expression, path) => {
		expect(fieldReferencePath(expression)).toEqual(path);
	});

	it.each([
		['a plain value', 'id'],
		['no expression marker', '{{ $json.id }}'],
		['a computed key', '={{ $json.id + "-" + $json.version }}'],
		['a method call', '={{ $json.id.toString() }}'],
		['another node', "={{ $('Webhook').item.json.id }}"],
		['text around it', '=order-{{ $json.id }}'],
		['two expressions', '={{ $json.a }}{{ $json.b }}'],
		['optional chaining', '={{ $json.a?.b }}'],
		['a computed index', '={{ $json[$json.field] }}'],
		['an escaped quote', '={{ $json["a\\"b"] }}'],
		['not text', 42],
		['nothing', undefined],
	])('leaves %s to n8n', (_, expression) => {
		expect(fieldReferencePath(expression)).toBeUndefined();
	});
});

describe('readOwnPath', () => {
	const item = { id: 7, data: { object: { id: 'evt_1' } }, lines: [{ sku: 'A' }], empty: null };

	it('follows own properties, array indexes included', () => {
		expect(readOwnPath(item, ['id'])).toBe(7);
		expect(readOwnPath(item, ['data', 'object', 'id'])).toBe('evt_1');
		expect(readOwnPath(item, ['lines', '0', 'sku'])).toBe('A');
	});

	it('answers undefined for a missing step, a non-object step or an inherited property', () => {
		expect(readOwnPath(item, ['missing', 'id'])).toBeUndefined();
		expect(readOwnPath(item, ['empty', 'id'])).toBeUndefined();
		expect(readOwnPath(item, ['id', 'toString'])).toBeUndefined();
		expect(readOwnPath(item, ['constructor'])).toBeUndefined();
		expect(readOwnPath(undefined, ['id'])).toBeUndefined();
	});
});
