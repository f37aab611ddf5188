import {
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type INodeCredentialTestResult,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
	NodeConnectionTypes,
	fromFunction,
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
		// 3: Processing Guarantee (keep and claim by default) and Respond (README, "Version 3").
		version: [1, 2, 3],
		defaultVersion: 3,
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
				isFullPath: true,
				// Resolved from the parameters without n8n's expression engine, like the path. The
				// functions are inlined into n8n's templates: they must use nothing from outside.
				...webhookDescriptionFields({
					path: fromParameter('path'),
					// Respond When the Run Finished: n8n answers 200 after a successful run and 500
					// "Error in workflow" after a failed one.
					responseMode: fromFunction((parameters) =>
						parameters.respondWhen === 'whenFinished' ? 'lastNode' : 'onReceived',
					),
					// Never echo the run's data to the sender. When received: without a value n8n
					// answers accepted deliveries with the literal text "firstEntryJson".
					responseData: fromFunction((parameters) =>
						parameters.respondWhen === 'whenFinished' ? 'noData' : '',
					),
				}),
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
		const decision = await handleDelivery(
			{
				rawBody: Buffer.isBuffer(bytes) ? bytes : Buffer.alloc(0),
				readFailure: Buffer.isBuffer(bytes) ? undefined : bytes,
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
