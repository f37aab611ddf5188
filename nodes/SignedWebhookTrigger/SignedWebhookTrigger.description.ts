import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import { schemeSummaries } from '../../lib/signatures';
import { leaseProperty, maxAttemptsProperty } from '../shared/lease';
import { storeProperties } from '../shared/storeDescription';

/** Built from the scheme registry: one source for names, summaries and which settings apply. */
const SCHEME_OPTIONS = schemeSummaries
	.map((scheme) => ({ name: scheme.displayName, value: scheme.name, description: scheme.summary }))
	.sort((a, b) => a.name.localeCompare(b.name));
const TIMESTAMP_SCHEMES = schemeSummaries
	.filter((scheme) => scheme.signsTimestamp)
	.map(({ name }) => name);
const URL_SCHEMES = schemeSummaries.filter((scheme) => scheme.signsUrl).map(({ name }) => name);

const customHmacProperties: INodeProperties[] = (
	[
		{
			displayName: 'Signature Header',
			name: 'signatureHeader',
			type: 'string',
			default: 'X-Signature',
			required: true,
			description: 'Header that carries the signature',
		},
		{
			displayName: 'Signature Prefix',
			name: 'signaturePrefix',
			type: 'string',
			default: '',
			placeholder: 'sha256=',
			description: 'Text in front of the signature inside the header, removed before comparing',
		},
		{
			displayName: 'Algorithm',
			name: 'algorithm',
			type: 'options',
			options: [
				{ name: 'HMAC-SHA1', value: 'sha1' },
				{ name: 'HMAC-SHA256', value: 'sha256' },
				{ name: 'HMAC-SHA512', value: 'sha512' },
			],
			default: 'sha256',
		},
		{
			displayName: 'Encoding',
			name: 'encoding',
			type: 'options',
			options: [
				{ name: 'Hex', value: 'hex' },
				{ name: 'Base64', value: 'base64' },
			],
			default: 'hex',
		},
		{
			displayName: 'Signed Payload',
			name: 'signedPayloadTemplate',
			type: 'string',
			default: '{body}',
			description:
				'What the sender signs. Placeholders: {body} (raw bytes), {timestamp}, {ID}, {URL}, {method}. Example: {timestamp}.{body}.',
			hint: 'The body is used exactly as received: never re-serialised JSON',
		},
		{
			displayName: 'Timestamp Header',
			name: 'timestampHeader',
			type: 'string',
			default: '',
			placeholder: 'X-Timestamp',
			description:
				'Header with the signed Unix timestamp in seconds. When set, stale or future deliveries are refused.',
		},
		{
			displayName: 'ID Header',
			name: 'idHeader',
			type: 'string',
			default: '',
			placeholder: 'X-Request-ID',
			description:
				'Header whose value fills {ID} in the signed payload and is the event ID for deduplication',
		},
		{
			displayName: 'Batched Deliveries',
			name: 'batchedDeliveries',
			type: 'boolean',
			default: false,
			description:
				'Whether one delivery carries an array of events: the signature is checked once, then each event becomes its own item and is deduplicated by its own ID',
		},
		{
			displayName: 'Events Array Path',
			name: 'eventsArrayPath',
			type: 'string',
			default: '',
			placeholder: 'events',
			description:
				'Dotted path to the array of events in the JSON body. Empty: the body itself is the array.',
			hint: 'With Event ID From set to Body Field, the field is read inside each event',
			displayOptions: { show: { scheme: ['customHmac'], batchedDeliveries: [true] } },
		},
	] as INodeProperties[]
).map((property) => ({
	displayOptions: { show: { scheme: ['customHmac'] } },
	...property,
}));

/** Shown where events are recognised across retries: v1/v2 with Deduplicate on, v3 unless Off. */
const VERSION_2_DEDUP = { show: { '@version': [1, 2], deduplicate: [true] } };
const VERSION_3_RECOGNISED = { show: { '@version': [3], guarantee: ['inbox', 'window'] } };
const VERSION_3_WINDOW = { show: { '@version': [3], guarantee: ['window'] } };
const VERSION_3_INBOX = { show: { '@version': [3], guarantee: ['inbox'] } };

/** The same property once per show condition: n8n's display options cannot say "or". */
const shownWhen = (conditions: IDisplayOptions[], property: INodeProperties): INodeProperties[] =>
	conditions.map((displayOptions) => ({
		...property,
		displayOptions: {
			...displayOptions,
			show: { ...displayOptions.show, ...property.displayOptions?.show },
		},
	}));

const eventIdProperties: INodeProperties[] = [
	{
		displayName: 'Event ID From',
		name: 'eventIdFrom',
		type: 'options',
		options: [
			{
				name: 'Scheme Default',
				value: 'schemeDefault',
				description:
					"The sender's delivery or event ID (Webhook-ID header, Stripe event ID, X-GitHub-Delivery, X-Shopify-Event-ID, each HubSpot eventId, ...); a hash of the body (of each event in a batch) when the scheme has none",
			},
			{ name: 'Header', value: 'header' },
			{ name: 'Body Field', value: 'bodyPath' },
		],
		default: 'schemeDefault',
		description: 'Which value identifies one event across retries',
	},
	{
		displayName: 'Event ID Header',
		name: 'eventIdHeader',
		type: 'string',
		default: '',
		placeholder: 'X-Event-ID',
		hint: 'A header names the whole delivery: for deliveries of several events (HubSpot, SendGrid, batched custom) use a body field',
		displayOptions: { show: { eventIdFrom: ['header'] } },
	},
	{
		displayName: 'Event ID Body Field',
		name: 'eventIdBodyPath',
		type: 'string',
		default: '',
		placeholder: 'data.object.ID',
		description:
			'Dotted path into the JSON body; for deliveries of several events (HubSpot, SendGrid, batched custom), into each event',
		displayOptions: { show: { eventIdFrom: ['bodyPath'] } },
	},
];

const dedupWindowProperty: INodeProperties = {
	displayName: 'Deduplication Window (Hours)',
	name: 'dedupWindowHours',
	type: 'number',
	typeOptions: { minValue: 0.01 },
	default: 24,
	description:
		'How long an event ID is remembered. Senders retry for up to a few days (Shopify: 4 hours, Stripe: 3 days).',
};

/**
 * Versions 1 and 2: Deduplicate Deliveries (a window at receipt). Version 3: Processing Guarantee,
 * whose default keeps and claims every delivery before answering (README, "Processing guarantee").
 */
const guaranteeProperties: INodeProperties[] = [
	{
		displayName: 'Deduplicate Deliveries',
		name: 'deduplicate',
		type: 'boolean',
		default: true,
		description:
			'Whether a repeated delivery of the same event is acknowledged with 200 and starts no execution',
		displayOptions: { show: { '@version': [1, 2] } },
	},
	{
		displayName: 'Processing Guarantee',
		name: 'guarantee',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Keep and Claim',
				value: 'inbox',
				description:
					'Every acknowledged delivery is processed exactly once: kept and claimed before the answer. End the workflow with Idempotency Check Complete, and Release on its error branch.',
			},
			{
				name: 'Dedup Window at Receipt',
				value: 'window',
				description:
					'A repeat inside the window is answered 200 and starts nothing; an event whose run failed is not run again',
			},
			{
				name: 'Off',
				value: 'off',
				description: 'Every verified delivery starts an execution',
			},
		],
		default: 'inbox',
		displayOptions: { show: { '@version': [3] } },
	},
	leaseProperty(
		'How long a run holds the event before a retry of the sender (or the recovery sweep) may take it over. Longer than the slowest successful run.',
		VERSION_3_INBOX,
	),
	maxAttemptsProperty(
		'Runs an event may use. A Release after this many, or a retry taking over a run that never finished after this many, moves it to Dead Letter; its repeats are then answered 200 and start nothing. Use the same value on the Release node.',
		VERSION_3_INBOX,
	),
	{
		displayName: 'While In Progress',
		name: 'whileInProgress',
		type: 'options',
		options: [
			{
				name: 'Answer 409 (Sender Retries)',
				value: 'conflict',
				description:
					'With Retry-After set to the seconds left on the lease: the retry finds the event done, or released and runs it',
			},
			{
				name: 'Answer 200',
				value: 'acknowledge',
				description:
					'For senders that disable an endpoint after errors: the event stays kept, and the recovery sweep runs it if its run fails',
			},
		],
		default: 'conflict',
		description: 'How a repeat of an event that a run is still processing is answered',
		displayOptions: VERSION_3_INBOX,
	},
	{
		displayName: 'Payload Fingerprint Fields',
		name: 'fingerprintFields',
		type: 'string',
		default: '',
		placeholder: 'data.data.object.amount, data.data.object.currency',
		description:
			"Fields of the trigger's item whose hash must match for the same event ID, as on Idempotency Check Claim. A delivery with other values under a kept event ID starts a run whose item has idempotency.status 'mismatch' and no token (route it to an alert); it is answered 200, as a retry would only repeat it.",
		hint: "Paths start at the item: the body is under 'data.'",
		displayOptions: VERSION_3_INBOX,
	},
	{
		displayName: 'Respond',
		name: 'respondWhen',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'When Received',
				value: 'onReceived',
				description:
					'As soon as the delivery is verified (and in Keep and Claim mode kept and claimed)',
			},
			{
				name: 'When the Run Finished',
				value: 'whenFinished',
				description:
					"200 once the run succeeded, 500 when it failed (end the error branch with Release, then Stop and Error), so the sender's own retries cover the failure. Only for runs well inside the sender's timeout.",
			},
		],
		default: 'onReceived',
		displayOptions: { show: { '@version': [3] } },
	},
	...shownWhen([VERSION_2_DEDUP, VERSION_3_WINDOW], dedupWindowProperty),
	...eventIdProperties.flatMap((property) =>
		shownWhen([VERSION_2_DEDUP, VERSION_3_RECOGNISED], property),
	),
	...storeProperties(VERSION_2_DEDUP),
	...storeProperties(VERSION_3_RECOGNISED),
];

export const signedWebhookTriggerProperties: INodeProperties[] = [
	{
		displayName: 'Path',
		name: 'path',
		type: 'string',
		default: '',
		placeholder: 'stripe-events',
		required: true,
		description:
			'The last part of the webhook URL. Give the sender the Production URL shown above.',
	},
	{
		displayName: 'Scheme',
		name: 'scheme',
		type: 'options',
		noDataExpression: true,
		options: SCHEME_OPTIONS,
		default: 'standardWebhooks',
		description: 'How the sender signs its deliveries. The secret comes from the credential.',
	},
	...customHmacProperties,
	{
		displayName: 'Timestamp Tolerance (Seconds)',
		name: 'toleranceSeconds',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 300,
		description:
			'Deliveries whose signed timestamp is further than this from now, in the past or the future, are refused as replays',
		displayOptions: { show: { scheme: TIMESTAMP_SCHEMES } },
	},
	{
		displayName: 'Check Timestamp Age',
		name: 'checkTimestamp',
		type: 'boolean',
		default: true,
		description:
			'Whether deliveries whose signed timestamp is outside the tolerance are refused. SendGrid documents no freshness window; turn this off only if its deliveries reach n8n late (queued behind a proxy).',
		displayOptions: { show: { scheme: ['sendgrid'] } },
	},
	{
		displayName: 'Public URL',
		name: 'publicUrl',
		type: 'string',
		default: '',
		placeholder: 'https://automation.example.com/webhook/square-events',
		description:
			'This scheme signs the URL. Leave empty to use the URL n8n was configured with (WEBHOOK_URL); behind a proxy that rewrites the path, enter the URL exactly as the sender calls it.',
		hint: 'Must match the URL registered with the sender character for character',
		displayOptions: { show: { scheme: URL_SCHEMES } },
	},
	...guaranteeProperties,
	{
		// n8n parses the request body before a webhook node runs and answers malformed JSON with 422
		// itself. For version 1 start nodes it skips that when `options.binaryData` is set, so this
		// hidden value hands the node the untouched bytes: signature first, then our own parse (400).
		// n8n evaluates it as an expression on every request, so version 2 does without it: n8n
		// parses (JSON, form, XML, text), the node still verifies the raw bytes n8n kept.
		displayName: 'Raw Body Handling',
		name: 'options',
		type: 'hidden',
		default: { binaryData: true },
		displayOptions: { show: { '@version': [1] } },
	},
	{
		displayName: 'Options',
		name: 'deliveryOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Body Format',
				name: 'bodyFormat',
				type: 'options',
				options: [
					{ name: 'From Content-Type', value: 'auto' },
					{ name: 'JSON', value: 'json' },
					{ name: 'Form (URL-Encoded)', value: 'form' },
					{ name: 'Text', value: 'text' },
				],
				default: 'auto',
				description:
					'How the verified body is parsed. A body that does not parse is answered with 400.',
			},
			{
				displayName: 'Deduplication Namespace',
				name: 'dedupNamespace',
				type: 'string',
				default: '',
				placeholder: 'stripe-deliveries',
				description:
					'Name under which event IDs are remembered (and, in Keep and Claim mode, deliveries kept and claimed). Empty: webhook:&lt;path&gt;, the namespace to give Idempotency Check Complete and Release. Give two triggers the same name to share it.',
			},
			{
				displayName: 'Include Headers',
				name: 'includeHeaders',
				type: 'boolean',
				default: false,
				description:
					'Whether to add the request headers to the output (signatures, tokens and cookies are redacted)',
			},
			{
				displayName: 'Include Raw Body',
				name: 'includeRawBody',
				type: 'boolean',
				default: false,
				description: 'Whether to attach the exact received bytes as binary data',
			},
			{
				displayName: 'IP Allowlist',
				name: 'ipAllowlist',
				type: 'string',
				default: '',
				placeholder: '203.0.113.0/24, 2001:db8::/32',
				description:
					'Only these addresses or CIDR ranges may deliver; others get 403. Behind a proxy set N8N_PROXY_HOPS so n8n sees the real sender address.',
			},
			{
				displayName: 'Max Body Size (KB)',
				name: 'maxBodyKb',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 1024,
				description: 'Larger bodies are answered with 413 and start nothing',
			},
			{
				displayName: 'Rate Limit (Per Minute)',
				name: 'rateLimitPerMinute',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					'Deliveries accepted per minute on this endpoint before answering 429 with Retry-After (guards against retry storms). 0 means no limit.',
			},
			{
				displayName: 'Raw Body Property',
				name: 'rawBodyProperty',
				type: 'string',
				default: 'data',
				description: 'Binary property that holds the raw body when Include Raw Body is on',
			},
		],
	},
];
