import { agreeingFields } from '../../../lib/reconcile/agreeingFields';

describe('agreeingFields', () => {
	it('lists every field of either record, first record first', () => {
		expect(agreeingFields({ a: 1, b: 2 }, { c: 3, a: 1 }, false).all).toEqual(['a', 'b', 'c']);
	});

	it('strictly, agrees only on fields both records hold with deep-equal values', () => {
		const { same } = agreeingFields(
			{ id: 1, tags: ['x'], qty: 3, gone: null },
			{ id: 1, tags: ['x'], qty: '3' },
			false,
		);

		expect([...same]).toEqual(['id', 'tags']);
	});

	it('fuzzy, agrees on 3 and "3" and on a missing field and a blank one', () => {
		const { same } = agreeingFields({ id: 1, qty: 3, note: null }, { id: 1, qty: '3' }, true);

		expect([...same]).toEqual(['id', 'qty', 'note']);
	});
});
