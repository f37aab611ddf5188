import type { INodeProperties } from 'n8n-workflow';

import { storeProperties } from '../shared/storeDescription';
import * as delivery from './actions/delivery/Delivery.resource';
import * as health from './actions/health/Health.resource';
import * as rejectedDelivery from './actions/rejectedDelivery/RejectedDelivery.resource';

export const webhookInboxProperties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Delivery', value: 'delivery' },
			{ name: 'Health', value: 'health' },
			{ name: 'Rejected Delivery', value: 'rejectedDelivery' },
		],
		default: 'delivery',
	},
	...delivery.description,
	...rejectedDelivery.description,
	...health.description,
	{
		displayName: 'Webhook Path',
		name: 'path',
		type: 'string',
		default: '',
		placeholder: 'stripe-events',
		required: true,
		description: 'The Path of the Signed Webhook Trigger whose deliveries to work on',
	},
	{
		displayName: 'Namespace',
		name: 'namespace',
		type: 'string',
		default: '',
		placeholder: 'webhook:stripe-events',
		description:
			"Empty: the trigger's own, webhook: followed by the path. Set it to the trigger's Dedup Namespace option when that is set.",
	},
	...storeProperties(),
];
