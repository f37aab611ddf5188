import type { INodeProperties } from 'n8n-workflow';

import * as list from './list.operation';

export const operations = { list };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['rejectedDelivery'] } },
		options: [
			{
				name: 'List',
				value: 'list',
				action: 'List rejected deliveries',
				description: 'Requests the trigger refused, newest first, with the reason',
			},
		],
		default: 'list',
	},
	...list.properties,
];
