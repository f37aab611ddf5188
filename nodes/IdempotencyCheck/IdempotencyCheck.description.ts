import type { INodeProperties } from 'n8n-workflow';

import { keyProperty } from '../shared/readKey';
import { storeProperties } from '../shared/storeDescription';
import { claimProperties } from './operations/claim';
import { completeProperties } from './operations/complete';
import { claimFencingTokenProperty, fencingTokenProperty } from './operations/fencing';
import { attemptProperties } from './operations/attempts';

export const idempotencyCheckProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Claim',
				value: 'claim',
				action: 'Claim keys before processing',
				description:
					'Take each key for this run: New items go on with a fencing token, the rest are sorted out',
			},
			{
				name: 'Complete',
				value: 'complete',
				action: 'Mark keys as done',
				description: 'After the business step succeeded: later claims are Duplicate',
			},
			{
				name: 'Forget',
				value: 'forget',
				action: 'Delete keys',
				description: 'Remove keys so they can be processed again',
			},
			{
				name: 'Inspect',
				value: 'inspect',
				action: 'Show the state of keys',
				description: 'State, attempts and timestamps of each key',
			},
			{
				name: 'Release',
				value: 'release',
				action: 'Give keys back after a failure',
				description:
					'A retry or the sweep can claim them again; too many attempts dead-letter them',
			},
		],
		default: 'claim',
	},
	keyProperty(
		'What identifies one event, e.g. the order or event ID. The same value from the webhook and the poll path meets here.',
	),
	{
		displayName: 'Namespace',
		name: 'namespace',
		type: 'string',
		default: 'default',
		description:
			"Keys are unique within a namespace. Use the same namespace in the webhook workflow, the polling workflow and the sweep so they see each other's keys.",
	},
	...claimProperties,
	...attemptProperties,
	fencingTokenProperty,
	claimFencingTokenProperty,
	...completeProperties,
	...storeProperties(),
];
