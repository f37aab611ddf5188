import { headerValues } from '../../../lib/poll/headers';

describe('headerValues', () => {
	it('finds a header whatever the case of its name', () => {
		expect(headerValues({ 'Retry-After': '3' }, 'retry-after')).toEqual(['3']);
	});

	it('answers every value of a repeated header', () => {
		expect(headerValues({ link: ['<a>; rel=prev', '<b>; rel=next'] }, 'Link')).toEqual([
			'<a>; rel=prev',
			'<b>; rel=next',
		]);
	});

	it('answers no value for an absent header', () => {
		expect(headerValues({ other: 'x', gone: undefined }, 'gone')).toEqual([]);
	});
});
