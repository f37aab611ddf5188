import type { INodeProperties } from 'n8n-workflow';

import { storeProperties } from '../shared/storeDescription';

const pagination = (styles: string[]) => ({ show: { paginationStyle: styles } });

/** n8n evaluates a trigger's expressions only at activation: see readPollSettings. */
const ACTIVATION_NOTE = 'Expressions here are evaluated when the workflow is activated.';

/** A repeatable name/value list, read back by readPollSettings as `{ parameters: [{ name, value }] }`. */
const nameValueList = (displayName: string, name: string, entry: string): INodeProperties => ({
	displayName,
	name,
	description: ACTIVATION_NOTE,
	type: 'fixedCollection',
	typeOptions: { multipleValues: true },
	placeholder: `Add ${entry}`,
	default: {},
	options: [
		{
			name: 'parameters',
			displayName: entry,
			values: [
				{ displayName: 'Name', name: 'name', type: 'string', default: '' },
				{ displayName: 'Value', name: 'value', type: 'string', default: '' },
			],
		},
	],
});

const requestProperties: INodeProperties[] = [
	{
		displayName:
			'Every parameter, expressions included, is evaluated when the workflow is activated (published): an expression such as {{ $now }} keeps that value until the next activation. The cursor moves the lower bound on its own.',
		name: 'activationNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Poll Every (Seconds)',
		name: 'pollIntervalSeconds',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 900,
		description:
			'Time between the end of one poll and the start of the next; a poll never overlaps the previous one. A poll that stopped at Max Pages per Poll is followed at once by the next, until the backlog is drained.',
	},
	{
		displayName: 'Method',
		name: 'method',
		type: 'options',
		options: [
			{ name: 'GET', value: 'GET' },
			{ name: 'POST', value: 'POST' },
		],
		default: 'GET',
	},
	{
		displayName: 'URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://erp.example.com/api/orders/changes',
		description: `The changes endpoint. {cursor} anywhere in it is replaced by the cursor's lower bound (URL-encoded). ${ACTIVATION_NOTE}`,
	},
	{
		displayName: 'Authentication',
		name: 'authentication',
		type: 'options',
		options: [
			{ name: 'None', value: 'none' },
			{ name: 'Hybrid Sync HTTP Auth', value: 'hybridSyncHttpAuthApi' },
		],
		default: 'none',
		description: 'Bearer token, API key header or query parameter, or basic auth',
	},
	nameValueList('Query Parameters', 'queryParameters', 'Parameter'),
	nameValueList('Headers', 'headerParameters', 'Header'),
	{
		displayName: 'Body',
		name: 'body',
		type: 'json',
		default: '{}',
		description: ACTIVATION_NOTE,
		displayOptions: { show: { method: ['POST'] } },
	},
];

const cursorProperties: INodeProperties[] = [
	{
		displayName: 'Records Path',
		name: 'recordsPath',
		type: 'string',
		default: 'data',
		description:
			'Dotted path of the array of records in the response body; empty when the body is the array',
	},
	{
		displayName: 'Cursor Field',
		name: 'cursorPath',
		type: 'string',
		default: 'updated_at',
		description:
			'Dotted path in each record of its last-change time (or of a monotonically increasing number)',
	},
	{
		displayName: 'Cursor Type',
		name: 'cursorKind',
		type: 'options',
		options: [
			{
				name: 'Timestamp',
				value: 'timestamp',
				description: 'ISO 8601 with or without zone (UTC assumed), epoch seconds or milliseconds',
			},
			{
				name: 'Number',
				value: 'number',
				description: 'A sequence number or version that only grows',
			},
		],
		default: 'timestamp',
	},
	{
		displayName: 'ID Field',
		name: 'idPath',
		type: 'string',
		default: 'id',
		description: "Dotted path of the record's unique ID: ties on the cursor are told apart by it",
	},
	{
		displayName: 'Cursor Query Parameter',
		name: 'cursorParam',
		type: 'string',
		default: 'updated_since',
		description:
			'Query parameter that asks the API for records with cursor >= the value sent. Empty if the URL carries {cursor} instead.',
	},
	{
		displayName: 'Tie-Break Query Parameter',
		name: 'tieBreakParam',
		type: 'string',
		default: '',
		placeholder: 'after_id',
		description:
			'For APIs that take the last ID seen with the cursor and answer only records after (cursor, ID): this parameter carries the ID of the last record emitted at the cursor value, so more records sharing one value than a response holds still all arrive. Leave empty when the API has no such parameter. Not sent while a Lookback is set.',
	},
	{
		displayName: 'Cursor Format',
		name: 'cursorFormat',
		type: 'options',
		options: [
			{ name: 'ISO 8601', value: 'iso' },
			{ name: 'Epoch Seconds', value: 'epochSeconds' },
			{ name: 'Epoch Milliseconds', value: 'epochMillis' },
		],
		default: 'iso',
		description: 'How a timestamp cursor is written into the request',
		displayOptions: { show: { cursorKind: ['timestamp'] } },
	},
	{
		displayName: 'Event Type Field',
		name: 'eventTypePath',
		type: 'string',
		default: '',
		placeholder: 'status',
		description: "Optional dotted path whose value becomes the envelope's type",
	},
];

const paginationProperties: INodeProperties[] = [
	{
		displayName: 'Pagination',
		name: 'paginationStyle',
		type: 'options',
		options: [
			{ name: 'Link Header (RFC 5988)', value: 'linkHeader' },
			{ name: 'Next Cursor in Body', value: 'nextCursorField' },
			{ name: 'Next URL in Body', value: 'nextUrlField' },
			{ name: 'None', value: 'none' },
			{ name: 'Offset and Limit', value: 'offset' },
			{ name: 'Page Number', value: 'pageNumber' },
		],
		default: 'nextCursorField',
		description:
			'Keyset styles (next cursor, Link header, next URL) never skip or repeat rows while the source changes; offsets can',
	},
	{
		displayName: 'Next Cursor Field',
		name: 'nextCursorPath',
		type: 'string',
		default: 'next_cursor',
		displayOptions: pagination(['nextCursorField']),
	},
	{
		displayName: 'Next Cursor Query Parameter',
		name: 'nextCursorParam',
		type: 'string',
		default: 'cursor',
		displayOptions: pagination(['nextCursorField']),
	},
	{
		displayName: 'Next URL Field',
		name: 'nextUrlPath',
		type: 'string',
		default: 'next',
		displayOptions: pagination(['nextUrlField']),
	},
	{
		displayName: 'Offset Query Parameter',
		name: 'offsetParam',
		type: 'string',
		default: 'offset',
		displayOptions: pagination(['offset']),
	},
	{
		displayName: 'Page Query Parameter',
		name: 'pageParam',
		type: 'string',
		default: 'page',
		displayOptions: pagination(['pageNumber']),
	},
	{
		displayName: 'First Page',
		name: 'firstPage',
		type: 'number',
		default: 1,
		displayOptions: pagination(['pageNumber']),
	},
	{
		displayName: 'Limit Query Parameter',
		name: 'limitParam',
		type: 'string',
		default: 'limit',
		displayOptions: pagination(['offset', 'pageNumber']),
	},
	{
		displayName: 'Page Size',
		name: 'pageSize',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 100,
		description: 'Records per page; a shorter page means the last one',
		displayOptions: pagination(['offset', 'pageNumber']),
	},
	{
		displayName: 'Has More Field',
		name: 'hasMorePath',
		type: 'string',
		default: '',
		placeholder: 'has_more',
		description: 'Optional body field that is false on the last page',
		displayOptions: pagination(['offset', 'pageNumber']),
	},
	{
		displayName: 'Max Pages per Poll',
		name: 'maxPages',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 10,
		description:
			'Keeps one poll bounded. A backlog larger than this continues on the next poll from where this one stopped.',
	},
];

const deliveryProperties: INodeProperties[] = [
	{
		displayName: 'First Run',
		name: 'firstRun',
		type: 'options',
		options: [
			{ name: 'Start From Now', value: 'now', description: 'Only changes made after activation' },
			{ name: 'Backfill From a Date', value: 'backfillFrom' },
			{ name: 'Last N Records', value: 'lastN' },
		],
		default: 'now',
	},
	{
		displayName: 'Backfill From',
		name: 'backfillFrom',
		type: 'dateTime',
		default: '',
		displayOptions: { show: { firstRun: ['backfillFrom'] } },
	},
	{
		displayName: 'Number of Records',
		name: 'lastN',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 10,
		displayOptions: { show: { firstRun: ['lastN'] } },
	},
	{
		displayName: 'Commit Cursor',
		name: 'commitMode',
		type: 'options',
		options: [
			{
				name: 'After the Execution Succeeded',
				value: 'afterSuccess',
				description:
					'At-least-once: the cursor moves only when the run that got the records finished without error; a failed run gets the same records again',
			},
			{
				name: 'When Records Are Emitted',
				value: 'onEmit',
				description: 'Faster, at-most-once: a failed run does not get its records again',
			},
		],
		default: 'afterSuccess',
	},
	{
		displayName: 'Emit',
		name: 'emitMode',
		type: 'options',
		options: [
			{ name: 'One Execution per Poll', value: 'perPoll' },
			{ name: 'One Execution per Record', value: 'perRecord' },
		],
		default: 'perPoll',
	},
	{
		displayName: 'Output Items',
		name: 'outputItems',
		type: 'options',
		options: [
			{
				name: 'One per Record',
				value: 'record',
				description: 'Each record as an item (an envelope with ID, type, occurredAt and data)',
			},
			{
				name: 'One per Page',
				value: 'page',
				description:
					"Each page's new records as one item (records, count, page, cursor from/to): fewer, larger items for sinks that write in bulk",
			},
		],
		default: 'record',
		description:
			'Either way the cursor is committed as Commit Cursor says, after the execution that got the records',
		displayOptions: { show: { emitMode: ['perPoll'] } },
	},
	...storeProperties(),
	{
		displayName: 'Options',
		name: 'pollOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Cursor Generation',
				name: 'cursorGeneration',
				type: 'string',
				default: '',
				description:
					'Change this value to forget the stored cursor and start again with the First Run rule',
			},
			{
				displayName: 'Lookback (Minutes)',
				name: 'lookbackMinutes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					'Re-read this far behind the cursor to catch writes that arrive late; records already emitted are dropped by ID, not emitted again',
			},
			{
				displayName: 'Max Retries',
				name: 'maxRetries',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 5,
				description:
					'Retries of a page answered 429 or 5xx (honouring Retry-After) before the poll fails and the cursor stays',
			},
			{
				displayName: 'Max Retry Delay (Seconds)',
				name: 'maxRetryDelaySeconds',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 60,
			},
			{
				displayName: 'Safety Margin (Seconds)',
				name: 'safetyMarginSeconds',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 5,
				description:
					'The cursor never moves past now minus this, for writes still being committed upstream',
			},
		],
	},
];

export const cursorPollTriggerProperties: INodeProperties[] = [
	...requestProperties,
	...cursorProperties,
	...paginationProperties,
	...deliveryProperties,
];
