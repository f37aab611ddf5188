import {
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type INodeCredentialTestResult,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
	NodeConnectionTypes,
	fromParameter,
	webhookDescriptionFields,
} from 'n8n-workflow';

import { handleDelivery } from '../../lib/webhook/handleDelivery';
import { httpAnswer } from '../../lib/webhook/httpAnswer';
import { RateLimiter } from '../../lib/webhook/rateLimiter';
import { readRawBody } from '../../lib/webhook/rawBody';
import { findSigningSecretProblem } from '../../lib/webhook/signingSecrets';
import {
	onlyForPostgresStore,
	onlyForRedisStore,
	storeCredentialTests,
} from '../shared/storeDescription';
import { cachedSigningSecrets, cachedStore } from './cachedCredentials';
import { readDeliveryParameters, signedUrl } from './deliveryParameters';
import { logDecision, respond } from './respond';
import { signedWebhookTriggerProperties } from './SignedWebhookTrigger.description';

/** One per n8n process: the retry-storm guard protects this process's execution engine. */
const rateLimiter = new RateLimiter();

export class SignedWebhookTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Signed Webhook Trigger',
		name: 'signedWebhookTrigger',
		icon: { light: 'file:signedWebhook.svg', dark: 'file:signedWebhook.dark.svg' },
		group: ['trigger'],
		// 2: n8n resolves the path without its expression engine and skips the v1-only evaluation
		// of `options.binaryData`, so the webhook phase evaluates no expression (README, "Version 2").
		version: [1, 2],
		defaultVersion: 2,
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
				isFullPath: true,
				...webhookDescriptionFields({ path: fromParameter('path') }),
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
		const { config, storeBackend, publicUrl, rawBody } = readDeliveryParameters(this);
		const bytes = await readRawBody(request, config.maxBodyBytes);
		const decision = !Buffer.isBuffer(bytes)
			? bytes
			: await handleDelivery(
					{
						rawBody: bytes,
						headers: request.headers,
						method: request.method,
						url: signedUrl(this, publicUrl),
						ip: request.ip,
						receivedAtMs,
					},
					config,
					{
						secrets: async () => await cachedSigningSecrets(this),
						store: async () => await cachedStore(this, storeBackend),
						rateLimiter,
					},
				);

		logDecision(this, config.scheme.name, decision);
		return await respond(this, httpAnswer(decision), rawBody?.property);
	}
}
