import {
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IDataObject,
	type INodeCredentialTestResult,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
	NodeConnectionTypes,
	NodeOperationError,
} from 'n8n-workflow';

import { type SignatureSchemeName, signatureSchemes } from '../../lib/signatures';
import {
	type DeliveryConfig,
	type DeliveryDecision,
	handleDelivery,
} from '../../lib/webhook/handleDelivery';
import { parseIpAllowlist } from '../../lib/webhook/ipAllowlist';
import type { BodyFormat } from '../../lib/webhook/parseBody';
import { RateLimiter } from '../../lib/webhook/rateLimiter';
import { findSigningSecretProblem, signingSecretsFrom } from '../../lib/webhook/signingSecrets';
import {
	openStoreFor,
	onlyForPostgresStore,
	onlyForRedisStore,
	storeCredentialTests,
} from '../shared/storeDescription';
import { signedWebhookTriggerProperties } from './SignedWebhookTrigger.description';

/** One per n8n process: the retry-storm guard protects this process's execution engine. */
const rateLimiter = new RateLimiter();

export class SignedWebhookTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Signed Webhook Trigger',
		name: 'signedWebhookTrigger',
		icon: { light: 'file:signedWebhook.svg', dark: 'file:signedWebhook.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["scheme"]}}',
		description:
			'Receives webhooks and lets through only authentic, fresh, first-time deliveries (Stripe, GitHub, Shopify, Standard Webhooks, Slack, custom HMAC, ...)',
		defaults: { name: 'Signed Webhook Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'webhookSigningSecretApi', required: true, testedBy: 'validateWebhookSigningSecret' },
			{
				name: 'hybridSyncRedisApi',
				required: true,
				testedBy: 'testRedisStore',
				displayOptions: onlyForRedisStore,
			},
			{
				name: 'hybridSyncPostgresApi',
				required: true,
				testedBy: 'testPostgresStore',
				displayOptions: onlyForPostgresStore,
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				// Without it n8n answers accepted deliveries with the literal text "firstEntryJson".
				responseData: '',
				path: '={{$parameter["path"]}}',
				isFullPath: true,
			},
		],
		properties: signedWebhookTriggerProperties,
	};

	methods = {
		credentialTest: {
			...storeCredentialTests,
			async validateWebhookSigningSecret(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const problem = findSigningSecretProblem(credential.data ?? {});
				return problem
					? { status: 'Error', message: problem }
					: {
							status: 'OK',
							message: 'Secret is well-formed. Send a test delivery to check it matches.',
						};
			},
		},
	};

	webhookMethods = {
		default: {
			// Senders are registered by hand in their dashboards: nothing to create or delete remotely.
			async checkExists(): Promise<boolean> {
				return true;
			},
			async create(): Promise<boolean> {
				return true;
			},
			async delete(): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const receivedAtMs = Date.now();
		const request = this.getRequestObject();
		const config = await readDeliveryConfig(this);
		const rawBody = await readRawBody(request, config.maxBodyBytes);
		if (!Buffer.isBuffer(rawBody)) {
			logDecision(this, rawBody);
			return respond(this, rawBody);
		}
		const decision = await handleDelivery(
			{
				rawBody,
				headers: request.headers,
				method: request.method,
				url: signedUrl(this),
				ip: request.ip,
				receivedAtMs,
			},
			config,
			{
				store: config.dedup
					? await openStoreFor(this, this.getNodeParameter('storeBackend', 'embedded') as string)
					: undefined,
				rateLimiter,
			},
		);
		logDecision(this, decision);
		return respond(this, decision);
	}
}

async function readDeliveryConfig(context: IWebhookFunctions): Promise<DeliveryConfig> {
	const schemeName = context.getNodeParameter('scheme') as SignatureSchemeName;
	const scheme = signatureSchemes[schemeName];
	if (!scheme)
		throw new NodeOperationError(context.getNode(), `Unknown signature scheme "${schemeName}"`);
	const secrets = signingSecretsFrom(await context.getCredentials('webhookSigningSecretApi'));
	const options = context.getNodeParameter('deliveryOptions', {}) as IDataObject;
	const path = context.getNodeParameter('path') as string;
	const node = context.getNode();
	const deduplicate = context.getNodeParameter('deduplicate', true) as boolean;
	const eventIdFrom = deduplicate
		? (context.getNodeParameter('eventIdFrom', 'schemeDefault') as string)
		: 'schemeDefault';

	return {
		scheme,
		customHmac:
			schemeName === 'customHmac'
				? {
						signatureHeader: context.getNodeParameter('signatureHeader') as string,
						signaturePrefix: context.getNodeParameter('signaturePrefix', '') as string,
						algorithm: context.getNodeParameter('algorithm') as 'sha1' | 'sha256' | 'sha512',
						encoding: context.getNodeParameter('encoding') as 'hex' | 'base64',
						signedPayloadTemplate: context.getNodeParameter(
							'signedPayloadTemplate',
							'{body}',
						) as string,
						timestampHeader:
							(context.getNodeParameter('timestampHeader', '') as string) || undefined,
						idHeader: (context.getNodeParameter('idHeader', '') as string) || undefined,
					}
				: undefined,
		secrets,
		toleranceSeconds: context.getNodeParameter('toleranceSeconds', 300) as number,
		maxBodyBytes: Math.round(((options.maxBodyKb as number | undefined) ?? 1024) * 1024),
		bodyFormat: (options.bodyFormat as BodyFormat | undefined) ?? 'auto',
		ipAllowlist: parseIpAllowlist((options.ipAllowlist as string | undefined) ?? ''),
		rateLimitPerMinute: (options.rateLimitPerMinute as number | undefined) ?? 0,
		rateLimitKey: `${context.getWorkflow().id}:${node.id}`,
		dedup: deduplicate
			? {
					namespace: ((options.dedupNamespace as string | undefined) ?? '') || `webhook:${path}`,
					windowMs: (context.getNodeParameter('dedupWindowHours', 24) as number) * 3_600_000,
					idSource:
						eventIdFrom === 'header'
							? {
									header: [context.getNodeParameter('eventIdHeader') as string],
								}
							: eventIdFrom === 'bodyPath'
								? {
										bodyPath: context.getNodeParameter('eventIdBodyPath') as string,
									}
								: undefined,
				}
			: undefined,
		includeHeaders: (options.includeHeaders as boolean | undefined) ?? false,
	};
}

/**
 * Reads the exact bytes (n8n decompresses gzip/deflate). n8n's own reader refuses bodies over
 * N8N_PAYLOAD_SIZE_MAX with status 413; our lower limit is applied by handleDelivery.
 */
async function readRawBody(
	request: { rawBody?: Buffer; readRawBody(): Promise<void> },
	maxBodyBytes: number,
): Promise<Buffer | DeliveryDecision> {
	if (!Buffer.isBuffer(request.rawBody)) {
		try {
			await request.readRawBody();
		} catch (error) {
			const tooLarge = (error as { status?: number }).status === 413;
			return {
				outcome: 'rejected',
				status: tooLarge ? 413 : 400,
				reason: tooLarge ? 'bodyTooLarge' : 'bodyUnparseable',
				message: tooLarge
					? `Request body is larger than the limit of ${maxBodyBytes} bytes`
					: 'Request body could not be read',
				logDetail: (error as Error).message,
			};
		}
	}
	return Buffer.isBuffer(request.rawBody) ? request.rawBody : Buffer.alloc(0);
}

/** The URL the sender signed: the operator's public URL, else n8n's configured webhook URL, plus the query. */
function signedUrl(context: IWebhookFunctions): string {
	const request = context.getRequestObject();
	const query = request.originalUrl.includes('?')
		? request.originalUrl.slice(request.originalUrl.indexOf('?'))
		: '';
	const publicUrl = (context.getNodeParameter('publicUrl', '') as string).trim();
	if (publicUrl) return publicUrl.includes('?') ? publicUrl : publicUrl + query;
	const configured = new URL(
		context.getNodeWebhookUrl('default') ?? request.originalUrl,
		'http://localhost',
	);
	return new URL(request.originalUrl, configured.origin).toString();
}

function logDecision(context: IWebhookFunctions, decision: DeliveryDecision): void {
	const metadata = {
		workflowId: context.getWorkflow().id,
		node: context.getNode().name,
		scheme: context.getNodeParameter('scheme') as string,
	};
	if (decision.outcome === 'accepted') {
		context.logger.info('Signed webhook accepted', {
			...metadata,
			eventId: decision.eventId,
		});
	} else if (decision.outcome === 'duplicate') {
		context.logger.info('Signed webhook duplicate acknowledged', {
			...metadata,
			eventId: decision.eventId,
		});
	} else if (decision.outcome === 'rejected') {
		const log = decision.status >= 500 ? context.logger.error : context.logger.warn;
		log.call(context.logger, 'Signed webhook rejected', {
			...metadata,
			status: decision.status,
			reason: decision.reason,
			message: decision.message,
			...(decision.logDetail ? { detail: decision.logDetail } : {}),
		});
	}
}

async function respond(
	context: IWebhookFunctions,
	decision: DeliveryDecision,
): Promise<IWebhookResponseData> {
	if (
		decision.outcome === 'rejected' ||
		decision.outcome === 'challenge' ||
		decision.outcome === 'duplicate'
	) {
		const response = context.getResponseObject();
		if (decision.outcome === 'rejected') {
			if (decision.retryAfterSeconds)
				response.setHeader('Retry-After', String(decision.retryAfterSeconds));
			response.status(decision.status).json({ error: decision.reason, message: decision.message });
		} else if (decision.outcome === 'challenge') {
			response.status(200).json(decision.response);
		} else {
			response.status(200).json({
				received: true,
				duplicate: true,
				id: decision.eventId,
				firstSeenAt: decision.firstSeenAt,
			});
		}
		return { noWebhookResponse: true };
	}

	const item: INodeExecutionData = {
		json: decision.envelope as unknown as IDataObject,
	};
	const options = context.getNodeParameter('deliveryOptions', {}) as IDataObject;
	if (options.includeRawBody) {
		const request = context.getRequestObject();
		const property = (options.rawBodyProperty as string | undefined) || 'data';
		item.binary = {
			[property]: await context.helpers.prepareBinaryData(
				request.rawBody,
				'body',
				request.headers['content-type'],
			),
		};
	}
	return {
		workflowData: [[item]],
		webhookResponse: { received: true, id: decision.eventId },
	};
}
