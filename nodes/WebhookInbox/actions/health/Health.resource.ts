import type { INodeProperties } from 'n8n-workflow';

import * as getStats from './getStats.operation';

export const operations = { getStats };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['health'] } },
		options: [
			{
				name: 'Get Stats',
				value: 'getStats',
				action: 'Get inbox stats',
				description: 'One item with counts for an alert or a chart',
			},
		],
		default: 'getStats',
	},
	...getStats.properties,
];
