import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import { leaseProperty, maxAttemptsProperty } from '../shared/lease';
import { keyProperty } from '../shared/readKey';
import { storeProperties } from '../shared/storeDescription';

const againstStore: IDisplayOptions = { show: { mode: ['againstStore'] } };
const compareInputs: IDisplayOptions = { show: { mode: ['compareInputs'] } };

/** Inputs per mode; evaluated by the editor from the node's parameters, so self-contained. */
export const configuredInputs = (parameters: { mode?: string }) =>
	parameters.mode === 'compareInputs'
		? [
				{ type: 'main', displayName: 'Input A' },
				{ type: 'main', displayName: 'Input B' },
			]
		: [{ type: 'main' }];

export type OutputName =
	| 'In A Only'
	| 'Same'
	| 'Different'
	| 'In B Only'
	| 'Missing'
	| 'Handled'
	| 'Changed'
	| 'In Progress'
	| 'Dead Letter'
	| 'Report'
	| 'Alert';

/**
 * Outputs per mode: the editor evaluates this from the node's parameters (so it is
 * self-contained) and each mode finds its output indexes here by name.
 */
export const configuredOutputs = (parameters: {
	mode?: string;
}): Array<{ type: 'main'; displayName: OutputName }> =>
	(parameters.mode === 'compareInputs'
		? (['In A Only', 'Same', 'Different', 'In B Only'] as const)
		: (['Missing', 'Handled', 'Changed', 'In Progress', 'Dead Letter', 'Report', 'Alert'] as const)
	).map((displayName) => ({ type: 'main', displayName }));

const modeProperty: INodeProperties = {
	displayName: 'Mode',
	name: 'mode',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Against Store',
			value: 'againstStore',
			description:
				'Look each source record up in the store Idempotency Check writes: recover what was never handled',
		},
		{
			name: 'Compare Inputs',
			value: 'compareInputs',
			description:
				'Match two inputs on key fields, like Compare Datasets, in one pass however large they are',
		},
	],
	default: 'againstStore',
};

const againstStoreProperties: INodeProperties[] = [
	{
		displayName:
			'Input: the source of truth for a window (e.g. orders of the last 24 hours). Missing records leave claimed for this run: process them, then Complete (or Release) them with an Idempotency Check, without claiming again.',
		name: 'againstStoreNotice',
		type: 'notice',
		default: '',
		displayOptions: againstStore,
	},
	keyProperty(
		'The key Idempotency Check claims for this record, e.g. the order ID: the same expression result as on the webhook and poll paths',
		againstStore,
	),
	{
		displayName: 'Namespace',
		name: 'namespace',
		type: 'string',
		default: 'default',
		description: 'The namespace of the Idempotency Check nodes that process these records',
		displayOptions: againstStore,
	},
	{
		displayName: 'Version',
		name: 'version',
		type: 'string',
		default: '',
		placeholder: '{{ $json.updated_at }}',
		description:
			"Optional: the record's version or updated-at. A handled record whose version here is newer than the one completed (Idempotency Check Complete with Ordering Entity and Version) goes to Changed.",
		displayOptions: againstStore,
	},
	{
		displayName: 'Claim Recovered',
		name: 'claimRecovered',
		type: 'boolean',
		default: true,
		description:
			'Whether to claim each missing record before it leaves, so a late webhook and this sweep cannot both process it. A claim lost to another run sends the record to In Progress instead.',
		displayOptions: againstStore,
	},
	leaseProperty(
		'How long the claims of recovered records protect this run: longer than processing them takes',
		{ show: { mode: ['againstStore'], claimRecovered: [true] } },
	),
	maxAttemptsProperty(
		"A record whose key already used this many claims and whose last run crashed (its lease ran out) is dead-lettered instead of recovered again. Use the Idempotency Check's value.",
		{ show: { mode: ['againstStore'], claimRecovered: [true] } },
	),
	{
		displayName: 'Alert Threshold (%)',
		name: 'alertThresholdPercent',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 100 },
		default: 1,
		description:
			'The report also leaves through Alert when more than this share of the window had to be recovered: the webhook path is losing events',
		displayOptions: againstStore,
	},
	{
		displayName: 'Window',
		name: 'window',
		type: 'string',
		default: '',
		placeholder: 'last 24 hours to {{ $now.toISO() }}',
		description: 'What this sweep covered, copied into the report as it is',
		displayOptions: againstStore,
	},
	{
		displayName: 'Options',
		name: 'reconcileOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: againstStore,
		options: [
			{
				displayName: 'Ordering Entity',
				name: 'entity',
				type: 'string',
				default: '',
				placeholder: '{{ $json.order_number }}',
				description:
					'Whose completed version Version is compared with: the Ordering Entity of the Idempotency Check Complete. Default: the key.',
			},
			{
				displayName: 'Output Handled Records',
				name: 'outputHandled',
				type: 'boolean',
				default: true,
				description:
					'Whether handled records leave through Handled. Off: only counted, which keeps large sweeps light.',
			},
		],
	},
	...storeProperties(againstStore),
];

const compareInputsProperties: INodeProperties[] = [
	{
		displayName:
			"Items from different inputs are paired if they share a value in the fields to match. Outputs and options as n8n's Compare Datasets, with B indexed once instead of scanned per record.",
		name: 'compareInputsNotice',
		type: 'notice',
		default: '',
		displayOptions: compareInputs,
	},
	{
		displayName: 'Fields to Match',
		name: 'mergeByFields',
		type: 'fixedCollection',
		placeholder: 'Add Fields to Match',
		default: { values: [{ field1: '', field2: '' }] },
		typeOptions: { multipleValues: true },
		displayOptions: compareInputs,
		options: [
			{
				displayName: 'Values',
				name: 'values',
				values: [
					{
						displayName: 'Input A Field',
						name: 'field1',
						type: 'string',
						default: '',
						placeholder: 'e.g. order_number',
						hint: 'Enter the field name as text',
						requiresDataPath: 'single',
					},
					{
						displayName: 'Input B Field',
						name: 'field2',
						type: 'string',
						default: '',
						placeholder: 'e.g. order_number',
						hint: 'Enter the field name as text',
						requiresDataPath: 'single',
					},
				],
			},
		],
	},
	{
		displayName: 'When There Are Differences',
		name: 'resolve',
		type: 'options',
		default: 'includeBoth',
		options: [
			{
				name: 'Include Both Versions',
				value: 'includeBoth',
				description: 'Output: keys, same and different fields',
			},
			{ name: 'Use a Mix of Versions', value: 'mix' },
			{ name: 'Use Input A Version', value: 'preferInput1' },
			{ name: 'Use Input B Version', value: 'preferInput2' },
		],
		displayOptions: compareInputs,
	},
	{
		displayName: 'Prefer',
		name: 'preferWhenMix',
		type: 'options',
		default: 'input1',
		options: [
			{ name: 'Input A Version', value: 'input1' },
			{ name: 'Input B Version', value: 'input2' },
		],
		displayOptions: { show: { mode: ['compareInputs'], resolve: ['mix'] } },
	},
	{
		displayName: 'For Everything Except',
		name: 'exceptWhenMix',
		type: 'string',
		default: '',
		placeholder: 'e.g. status, country',
		hint: 'Enter the names of the input fields as text, separated by commas',
		displayOptions: { show: { mode: ['compareInputs'], resolve: ['mix'] } },
		requiresDataPath: 'multiple',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: compareInputs,
		options: [
			{
				displayName: 'Disable Dot Notation',
				name: 'disableDotNotation',
				type: 'boolean',
				default: false,
				description: 'Whether to take a.b as one field named so, not b inside a',
			},
			{
				displayName: 'Fields to Skip Comparing',
				name: 'skipFields',
				type: 'string',
				default: '',
				placeholder: 'e.g. updated_at, updated_by',
				hint: 'Enter the field names as text, separated by commas',
				requiresDataPath: 'multiple',
			},
			{
				displayName: 'Fuzzy Compare',
				name: 'fuzzyCompare',
				type: 'boolean',
				default: false,
				description:
					"Whether to tolerate small type differences when comparing fields. E.g. the number 3 and the string '3' are treated as the same.",
			},
			{
				displayName: 'Multiple Matches',
				name: 'multipleMatches',
				type: 'options',
				default: 'first',
				options: [
					{
						name: 'Include First Match Only',
						value: 'first',
						description: 'Output only the first match of each record of A',
					},
					{
						name: 'Include All Matches',
						value: 'all',
						description: 'Output every match of each record of A',
					},
				],
			},
		],
	},
];

export const reconcileProperties: INodeProperties[] = [
	modeProperty,
	...againstStoreProperties,
	...compareInputsProperties,
];
