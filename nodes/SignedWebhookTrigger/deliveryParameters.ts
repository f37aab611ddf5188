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
import type { DeliveryConfig } from '../../lib/webhook/handleDelivery';
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
	const deduplicate = parameter('deduplicate', true) && context.getMode() !== 'manual';
	const eventIdFrom = deduplicate ? parameter<string>('eventIdFrom', 'schemeDefault') : '';
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
			dedup: deduplicate
				? {
						namespace: option('dedupNamespace', '') || `webhook:${parameter<string>('path')}`,
						windowMs: parameter('dedupWindowHours', 24) * 3_600_000,
						idSource:
							eventIdFrom === 'header'
								? { header: [parameter<string>('eventIdHeader')] }
								: eventIdFrom === 'bodyPath'
									? { bodyPath: parameter<string>('eventIdBodyPath') }
									: undefined,
					}
				: undefined,
			includeHeaders: option('includeHeaders', false),
		},
		storeBackend: parameter('storeBackend', 'embedded'),
		publicUrl: scheme.signsUrl ? parameter('publicUrl', '').trim() : '',
		rawBody: option('includeRawBody', false)
			? { property: option('rawBodyProperty', '') || 'data' }
			: undefined,
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
