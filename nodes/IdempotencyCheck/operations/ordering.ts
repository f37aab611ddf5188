import { type IExecuteFunctions, type INodeProperties, NodeOperationError } from 'n8n-workflow';

import { toOrderingVersion } from '../../../lib/idempotency/orderingVersion';
import type { VersionRequest } from '../../../lib/store/IdempotencyStore';
import { validateEntities } from '../../../lib/store/validation';

/** What the guard promises, said in both options' descriptions. */
const GUARANTEE =
	'The guard compares with the newest version completed for the entity (Complete with the same options raises it); two events of one entity in flight at the same time are not serialised by it.';

const ENTITY_EFFECT = {
	claim:
		'An event older than the newest version completed for its entity goes to the Stale output without being claimed.',
	complete: "Completing the item raises its entity's newest version (kept as long as the key).",
};

const entityDescription = (operation: keyof typeof ENTITY_EFFECT) =>
	`What the event changes, e.g. the customer or order ID; set together with Ordering Version. ${ENTITY_EFFECT[operation]} ${GUARANTEE}`;

const versionDescription = `The event's version: a number (a version or sequence, compared as it is) or a date (ISO 8601, SQL or RFC 2822 text, or a date value, compared as epoch milliseconds). An equal version is not stale: the key decides. ${GUARANTEE}`;

/** The ordering guard's two options, for the Options collection of claim and of complete. */
export const orderingOptions = (operation: keyof typeof ENTITY_EFFECT): INodeProperties[] => [
	{
		displayName: 'Ordering Entity',
		name: 'orderingEntity',
		type: 'string',
		default: '',
		placeholder: '{{ $json.data.object.customer }}',
		description: entityDescription(operation),
	},
	{
		displayName: 'Ordering Version',
		name: 'orderingVersion',
		type: 'string',
		default: '',
		placeholder: '{{ $json.data.object.updated }}',
		description: versionDescription,
		hint: 'Use one kind per entity: numbers are compared as they are, so epoch seconds and epoch milliseconds do not mix',
	},
];

export interface OrderingSettings {
	orderingEntity?: unknown;
	orderingVersion?: unknown;
}

/** True when both options were added: the editor then shows the Stale output. */
export const orderingConfigured = (options: OrderingSettings): boolean =>
	options.orderingEntity !== undefined && options.orderingVersion !== undefined;

/** The item's entity and version, checked before anything reaches the store. */
export function readOrdering(
	context: IExecuteFunctions,
	itemIndex: number,
	options: OrderingSettings,
): VersionRequest {
	const fail = (message: string, description: string) =>
		new NodeOperationError(context.getNode(), `Item ${itemIndex} ${message}`, {
			itemIndex,
			description,
		});
	const rawEntity = options.orderingEntity;
	const entity = typeof rawEntity === 'number' ? String(rawEntity) : rawEntity;
	if (typeof entity !== 'string' || entity.trim() === '') {
		throw fail(
			`has no ordering entity: the Ordering Entity expression gave ${JSON.stringify(rawEntity ?? null)}`,
			'Every item needs the entity the event changes, e.g. {{ $json.data.object.customer }}. Check that the field exists on this item.',
		);
	}
	try {
		validateEntities([entity]);
	} catch (error) {
		throw fail(
			`has an unusable ordering entity: ${(error as Error).message.replace(/^The entity at position 0 /, 'it ')}`,
			'Use a shorter or plain-text value, e.g. an ID.',
		);
	}
	const version = toOrderingVersion(options.orderingVersion);
	if (version === undefined) {
		throw fail(
			`has no usable ordering version: the Ordering Version expression gave ${JSON.stringify(options.orderingVersion ?? null)}`,
			'Give a number (a version or sequence) or a date (ISO 8601 text such as 2025-06-15T12:00:00Z, or a date value), e.g. {{ $json.data.object.updated }}.',
		);
	}
	return { entity, version };
}
