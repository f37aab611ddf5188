import type { INodeProperties } from 'n8n-workflow';

import * as get from './get.operation';
import * as list from './list.operation';
import * as purge from './purge.operation';
import * as recoverStuck from './recoverStuck.operation';
import * as redrive from './redrive.operation';
import * as requeueDeadLetters from './requeueDeadLetters.operation';

export const operations = { get, list, purge, recoverStuck, redrive, requeueDeadLetters };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['delivery'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				action: 'Get a kept delivery',
				description: 'One delivery with its raw body as binary and its event state',
			},
			{
				name: 'List',
				value: 'list',
				action: 'List kept deliveries',
				description: 'Search by time, event type and event state',
			},
			{
				name: 'Purge',
				value: 'purge',
				action: 'Delete kept deliveries',
				description: 'Remove a window of deliveries before their retention ends',
			},
			{
				name: 'Recover Stuck',
				value: 'recoverStuck',
				action: 'Recover stuck deliveries',
				description:
					'Claim again the deliveries nobody holds and nobody finished (crashed runs, never started, released) and send them to processing. Schedule it every few minutes.',
			},
			{
				name: 'Redrive',
				value: 'redrive',
				action: 'Redrive deliveries',
				description:
					'Send a window of deliveries back to processing after a fix; completed events are never run again',
			},
			{
				name: 'Requeue Dead Letters',
				value: 'requeueDeadLetters',
				action: 'Requeue dead letters',
				description: 'Give dead-lettered events new attempts and send them to processing',
			},
		],
		default: 'recoverStuck',
	},
	...recoverStuck.properties,
	...redrive.properties,
	...requeueDeadLetters.properties,
	...get.properties,
	...list.properties,
	...purge.properties,
];
