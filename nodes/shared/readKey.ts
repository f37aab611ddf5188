import { type IExecuteFunctions, NodeOperationError } from 'n8n-workflow';

import { validateKeys } from '../../lib/store/validation';

/** The item's key, checked before anything reaches the store, so a bad item fails alone. */
export function readKey(context: IExecuteFunctions, itemIndex: number): string {
	const value = context.getNodeParameter('key', itemIndex, '') as unknown;
	const key = typeof value === 'number' ? String(value) : value;
	if (typeof key !== 'string' || key.trim() === '') {
		throw new NodeOperationError(
			context.getNode(),
			`Item ${itemIndex} has no key: the Key expression gave ${JSON.stringify(value ?? null)}`,
			{
				itemIndex,
				description:
					'Every item needs a non-empty key, e.g. {{ $json.id }}. Check that the field exists on this item.',
			},
		);
	}
	try {
		validateKeys([key]);
	} catch (error) {
		// The store numbers keys by their position in a one-key batch; the user thinks in items.
		throw new NodeOperationError(
			context.getNode(),
			`Item ${itemIndex} has an unusable key: ${(error as Error).message.replace(/^The key at position 0 /, 'it ')}`,
			{ itemIndex },
		);
	}
	return key;
}
