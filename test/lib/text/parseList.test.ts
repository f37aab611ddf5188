import { parseList } from '../../../lib/text/parseList';

describe('parseList', () => {
	it('splits at commas by default and trims each entry', () => {
		expect(parseList(' amount ,currency,  customer.email ')).toEqual([
			'amount',
			'currency',
			'customer.email',
		]);
	});

	it('drops blank entries, so a trailing or doubled separator adds nothing', () => {
		expect(parseList('a,, ,b,')).toEqual(['a', 'b']);
	});

	it('answers no entries for blank text', () => {
		expect(parseList('  ')).toEqual([]);
	});

	it('keeps the spaces inside an entry when only commas separate', () => {
		expect(parseList('first name, last name')).toEqual(['first name', 'last name']);
	});

	it('splits at the separator the caller gives, such as commas or new lines', () => {
		expect(parseList('amount\ncurrency, total', /[,\n]/)).toEqual(['amount', 'currency', 'total']);
	});
});
