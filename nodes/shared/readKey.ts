import {
	type IDisplayOptions,
	type IExecuteFunctions,
	type INodeProperties,
	NodeOperationError,
} from 'n8n-workflow';

import { fieldReferencePath, readOwnPath } from '../../lib/expressions/fieldReference';
import { validateKeys } from '../../lib/store/validation';

/** The Key parameter that `readKey` reads, as each node describes it to its users. */
export const keyProperty = (
	description: string,
	displayOptions?: IDisplayOptions,
): INodeProperties => ({
	displayName: 'Key',
	name: 'key',
	type: 'string',
	default: '={{ $json.id }}',
	required: true,
	description,
	...(displayOptions ? { displayOptions } : {}),
});

/**
 * The Key parameter's value for an item. A Key that only reads a field (`{{ $json.id }}`, the
 * default) is read from the item directly when the field holds text or a number: the same value
 * n8n's expression gives, without an expression evaluation per item. Anything else, including a
 * missing field, goes through n8n.
 */
function keyValue(context: IExecuteFunctions, itemIndex: number): unknown {
	const path = fieldReferencePath(context.getNode().parameters?.key);
	if (path) {
		const value = readOwnPath(context.getInputData()[itemIndex]?.json, path);
		if (typeof value === 'string' || typeof value === 'number') return value;
	}
	return context.getNodeParameter('key', itemIndex, '') as unknown;
}

/** The item's key, checked before anything reaches the store, so a bad item fails alone. */
export function readKey(context: IExecuteFunctions, itemIndex: number): string {
	const value = keyValue(context, itemIndex);
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
