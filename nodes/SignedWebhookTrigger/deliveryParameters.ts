import { type IDataObject, type IWebhookFunctions, NodeOperationError } from 'n8n-workflow';

import {
	type BuiltInSchemeName,
	customHmacScheme,
	type HmacAlgorithm,
	type SignatureScheme,
	type SignatureSchemeName,
	signatureSchemes,
	type SignatureEncoding,
} from '../../lib/signatures';
import {
	DEFAULT_INBOX_MAX_ENTRIES,
	DEFAULT_INBOX_RETENTION_MS,
} from '../../lib/store/DeliveryInbox';
import { DEFAULT_ATTEMPTS_RETENTION_MS } from '../../lib/store/IdempotencyStore';
import type { FieldSource } from '../../lib/envelope';
import { parseList } from '../../lib/text/parseList';
import type { DeliveryConfig } from '../../lib/webhook/handleDelivery';
import type { InboxConfig } from '../../lib/webhook/inboxDelivery';
import { IpAllowlistError, parseIpAllowlist } from '../../lib/webhook/ipAllowlist';
import type { BodyFormat } from '../../lib/webhook/parseBody';

/** Every parameter the webhook phase needs, read once per delivery. */
export interface DeliveryParameters {
	config: DeliveryConfig;
	storeBackend: string;
	publicUrl: string;
	rawBody: { property: string } | undefined;
}

/** `getNodeParameter` typed by the caller: the description guarantees each parameter's type. */
const parameterReader =
	(context: IWebhookFunctions) =>
	<T>(name: string, fallback?: T) =>
		context.getNodeParameter(name, fallback) as T;

export function readDeliveryParameters(context: IWebhookFunctions): DeliveryParameters {
	const parameter = parameterReader(context);
	const scheme = readScheme(context, parameter<SignatureSchemeName>('scheme'));
	const options = parameter<IDataObject>('deliveryOptions', {});
	const option = <T>(name: string, fallback: T) => (options[name] as T | undefined) ?? fallback;
	// Deliveries to the editor's test URL are verified alike but never recorded (README).
	const guarantee = context.getMode() === 'manual' ? 'off' : readGuarantee(context);
	const idSource = guarantee === 'off' ? undefined : readIdSource(context);
	const namespace = option('dedupNamespace', '') || `webhook:${parameter<string>('path')}`;
	const timestampChecked = scheme.name !== 'sendgrid' || parameter('checkTimestamp', true);

	return {
		config: {
			scheme,
			toleranceSeconds: timestampChecked ? parameter('toleranceSeconds', 300) : Infinity,
			maxBodyBytes: Math.round(option('maxBodyKb', 1024) * 1024),
			bodyFormat: option<BodyFormat>('bodyFormat', 'auto'),
			ipAllowlist: readIpAllowlist(context, option('ipAllowlist', '')),
			rateLimitPerMinute: option('rateLimitPerMinute', 0),
			rateLimitKey: `${context.getWorkflow().id}:${context.getNode().id}`,
			dedup:
				guarantee === 'window'
					? { namespace, windowMs: parameter('dedupWindowHours', 24) * 3_600_000, idSource }
					: undefined,
			inbox: guarantee === 'inbox' ? readInbox(context, namespace, idSource) : undefined,
			includeHeaders: option('includeHeaders', false),
		},
		storeBackend: parameter('storeBackend', 'embedded'),
		publicUrl: scheme.signsUrl ? parameter('publicUrl', '').trim() : '',
		rawBody: option('includeRawBody', false)
			? { property: option('rawBodyProperty', '') || 'data' }
			: undefined,
	};
}

type Guarantee = 'inbox' | 'window' | 'off';

/** Version 3 names the guarantee; versions 1 and 2 only turn the dedup window on or off. */
function readGuarantee(context: IWebhookFunctions): Guarantee {
	const parameter = parameterReader(context);
	if (context.getNode().typeVersion >= 3) return parameter<Guarantee>('guarantee', 'inbox');
	return parameter('deduplicate', true) ? 'window' : 'off';
}

function readIdSource(context: IWebhookFunctions): FieldSource | undefined {
	const parameter = parameterReader(context);
	const eventIdFrom = parameter<string>('eventIdFrom', 'schemeDefault');
	if (eventIdFrom === 'header') return { header: [parameter<string>('eventIdHeader')] };
	if (eventIdFrom === 'bodyPath') return { bodyPath: parameter<string>('eventIdBodyPath') };
	return undefined;
}

function readInbox(
	context: IWebhookFunctions,
	namespace: string,
	idSource: FieldSource | undefined,
): InboxConfig {
	const parameter = parameterReader(context);
	return {
		namespace,
		path: parameter<string>('path'),
		leaseMs: parameter('leaseMinutes', 5) * 60_000,
		maxAttempts: parameter('maxAttempts', 3),
		deadLetterRetentionMs: DEFAULT_ATTEMPTS_RETENTION_MS,
		bounds: { retentionMs: DEFAULT_INBOX_RETENTION_MS, maxEntries: DEFAULT_INBOX_MAX_ENTRIES },
		whileInProgress: parameter<InboxConfig['whileInProgress']>('whileInProgress', 'conflict'),
		idSource,
		fingerprintFields: parseList(parameter('fingerprintFields', ''), /[,\n]/),
	};
}

function readScheme(context: IWebhookFunctions, name: SignatureSchemeName): SignatureScheme {
	if (name !== 'customHmac') {
		const scheme = signatureSchemes[name as BuiltInSchemeName] as SignatureScheme | undefined;
		if (!scheme)
			throw new NodeOperationError(context.getNode(), `Unknown signature scheme "${name}"`);
		return scheme;
	}
	const parameter = parameterReader(context);
	return customHmacScheme({
		signatureHeader: parameter('signatureHeader'),
		signaturePrefix: parameter('signaturePrefix', ''),
		algorithm: parameter<HmacAlgorithm>('algorithm'),
		encoding: parameter<SignatureEncoding>('encoding'),
		signedPayloadTemplate: parameter('signedPayloadTemplate', '{body}'),
		timestampHeader: parameter('timestampHeader', '') || undefined,
		idHeader: parameter('idHeader', '') || undefined,
		eventsArrayPath: parameter('batchedDeliveries', false)
			? parameter('eventsArrayPath', '').trim()
			: undefined,
	});
}

function readIpAllowlist(context: IWebhookFunctions, list: string) {
	try {
		return parseIpAllowlist(list);
	} catch (error) {
		const message = error instanceof IpAllowlistError ? error.message : String(error);
		throw new NodeOperationError(context.getNode(), message, {
			description: 'Use addresses or CIDR ranges separated by commas, e.g. 203.0.113.0/24',
		});
	}
}

/** The URL the sender signed: the operator's public URL, else n8n's configured webhook URL, plus the query. */
export function signedUrl(context: IWebhookFunctions, publicUrl: string): string {
	const { originalUrl } = context.getRequestObject();
	const query = originalUrl.includes('?') ? originalUrl.slice(originalUrl.indexOf('?')) : '';
	if (publicUrl) return publicUrl.includes('?') ? publicUrl : publicUrl + query;
	const configured = new URL(
		context.getNodeWebhookUrl('default') ?? originalUrl,
		'http://localhost',
	);
	return new URL(originalUrl, configured.origin).toString();
}
