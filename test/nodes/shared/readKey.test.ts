import type { INodeExecutionData } from 'n8n-workflow';

import { readKey } from '../../../nodes/shared/readKey';
import { fakeExecuteContext } from '../fakeExecuteContext';

/** A context whose Key is `expression` in the node, evaluated by `evaluate` when n8n is asked. */
function contextFor(
	expression: string,
	items: INodeExecutionData[],
	evaluate: (item: INodeExecutionData) => unknown,
) {
	const asked: number[] = [];
	const context = fakeExecuteContext({
		items,
		node: { parameters: { key: expression } },
		parameters: {
			key: (item: INodeExecutionData, itemIndex: number) => {
				asked.push(itemIndex);
				return evaluate(item);
			},
		},
	});
	return { context, asked };
}

describe('readKey', () => {
	const items: INodeExecutionData[] = [
		{ json: { order: { id: 'ord_1' } } },
		{ json: { order: { id: 42 } } },
		{ json: { order: { id: { nested: true } } } },
		{ json: {} },
	];

	it('reads a field reference from the item itself, and asks n8n for everything else', () => {
		const { context, asked } = contextFor(
			'={{ $json.order.id }}',
			items,
			(item) => (item.json.order as { id?: unknown } | undefined)?.id,
		);

		expect(readKey(context, 0)).toBe('ord_1');
		expect(readKey(context, 1)).toBe('42');
		expect(() => readKey(context, 2)).toThrow(
			'Item 2 has no key: the Key expression gave {"nested":true}',
		);
		expect(() => readKey(context, 3)).toThrow('Item 3 has no key: the Key expression gave null');
		expect(asked).toEqual([2, 3]);
	});

	it('asks n8n for every item when the Key is more than a field reference', () => {
		const { context, asked } = contextFor(
			'={{ "order-" + $json.order.id }}',
			items.slice(0, 2),
			(item) => `order-${String((item.json.order as { id: unknown }).id)}`,
		);

		expect([readKey(context, 0), readKey(context, 1)]).toEqual(['order-ord_1', 'order-42']);
		expect(asked).toEqual([0, 1]);
	});
});
