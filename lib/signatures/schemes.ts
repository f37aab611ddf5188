import type { FieldSource } from '../envelope';
import { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
import { verifyGithubSignature } from './github';
import { verifyHubspotSignature } from './hubspot';
import { verifyPaddleSignature } from './paddle';
import { verifySendgridSignature } from './sendgrid';
import { verifyShopifySignature } from './shopify';
import { answerSlackHandshake, verifySlackSignature } from './slack';
import { verifySquareSignature } from './square';
import { verifyStandardWebhooksSignature } from './standardWebhooks';
import { verifyStripeSignature } from './stripe';
import { verifyTwilioSignature } from './twilio';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';
import { isWooCommercePing, verifyWooCommerceSignature } from './wooCommerce';
import { answerZoomHandshake, verifyZoomSignature } from './zoom';

export type BuiltInSchemeName =
	| 'standardWebhooks'
	| 'stripe'
	| 'github'
	| 'shopify'
	| 'slack'
	| 'paddle'
	| 'wooCommerce'
	| 'square'
	| 'zoom'
	| 'hubspot'
	| 'twilio'
	| 'sendgrid';

export type SignatureSchemeName = BuiltInSchemeName | 'customHmac';

/** What the node's scheme list and its conditional settings are built from. */
export interface SchemeSummary {
	name: SignatureSchemeName;
	displayName: string;
	/** One line under the option: the header the sender signs with. */
	summary: string;
	/** The tolerance applies (for customHmac: when a timestamp header is configured). */
	signsTimestamp: boolean;
	/** Needs the public URL as the sender called it (for customHmac: when the template uses {url}). */
	signsUrl: boolean;
}

/** A delivery that carries several events: where the array is ('' for a body that is the array). */
export interface EventBatch {
	arrayPath: string;
}

/** The JSON answer to a sender's handshake; the handshake starts no execution. */
export type HandshakeAnswer = Record<string, string>;

export interface SignatureScheme extends SchemeSummary {
	verify(request: SignedRequest, options: VerifyOptions): VerifiedDelivery;
	/**
	 * The headers a signature travels in; a delivery with none of them is refused before any
	 * secret is read.
	 */
	signature: FieldSource;
	/** The natural dedup key; empty when the provider has none. In a batch, read in each event. */
	eventId: FieldSource;
	eventType: FieldSource;
	/** Set when the provider posts several events in one delivery (HubSpot, SendGrid). */
	batch?: EventBatch;
	/** A signed handshake (Zoom, Slack) answered with the secret that verified it. */
	answerHandshake?(body: unknown, secret: string): HandshakeAnswer | undefined;
	/** An unsigned ping the sender needs a 200 for before it saves the URL (WooCommerce). */
	isUnsignedPing?(request: SignedRequest): boolean;
}

type BuiltInScheme = SignatureScheme & { name: BuiltInSchemeName };

export const signatureSchemes: Record<BuiltInSchemeName, BuiltInScheme> = {
	standardWebhooks: {
		name: 'standardWebhooks',
		displayName: 'Standard Webhooks / Svix',
		summary: 'Webhook-Signature or svix-signature headers',
		verify: verifyStandardWebhooksSignature,
		signsTimestamp: true,
		signsUrl: false,
		signature: { header: ['webhook-signature', 'svix-signature'] },
		eventId: { header: ['webhook-id', 'svix-id'] },
		eventType: { bodyPath: 'type' },
	},
	stripe: {
		name: 'stripe',
		displayName: 'Stripe',
		summary: 'Stripe-Signature',
		verify: verifyStripeSignature,
		signsTimestamp: true,
		signsUrl: false,
		signature: { header: ['stripe-signature'] },
		eventId: { bodyPath: 'id' },
		eventType: { bodyPath: 'type' },
	},
	github: {
		name: 'github',
		displayName: 'GitHub',
		summary: 'X-Hub-Signature-256',
		verify: verifyGithubSignature,
		signsTimestamp: false,
		signsUrl: false,
		signature: { header: ['x-hub-signature-256', 'x-hub-signature'] },
		eventId: { header: ['x-github-delivery'] },
		eventType: { header: ['x-github-event'] },
	},
	shopify: {
		name: 'shopify',
		displayName: 'Shopify',
		summary: 'X-Shopify-Hmac-Sha256',
		verify: verifyShopifySignature,
		signsTimestamp: false,
		signsUrl: false,
		signature: { header: ['x-shopify-hmac-sha256'] },
		// X-Shopify-Webhook-Id changes across retries of the same event.
		eventId: { header: ['x-shopify-event-id'] },
		eventType: { header: ['x-shopify-topic'] },
	},
	slack: {
		name: 'slack',
		displayName: 'Slack',
		summary: 'X-Slack-Signature, answers the URL verification challenge',
		verify: verifySlackSignature,
		signsTimestamp: true,
		signsUrl: false,
		signature: { header: ['x-slack-signature'] },
		eventId: { bodyPath: 'event_id' },
		// The outer `type` is almost always 'event_callback'; the event's own type says what happened.
		eventType: { bodyPath: 'event.type' },
		answerHandshake: answerSlackHandshake,
	},
	paddle: {
		name: 'paddle',
		displayName: 'Paddle Billing',
		summary: 'Paddle-Signature',
		verify: verifyPaddleSignature,
		signsTimestamp: true,
		signsUrl: false,
		signature: { header: ['paddle-signature'] },
		eventId: { bodyPath: 'event_id' },
		eventType: { bodyPath: 'event_type' },
	},
	wooCommerce: {
		name: 'wooCommerce',
		displayName: 'WooCommerce',
		summary: 'X-WC-Webhook-Signature, answers the creation ping',
		verify: verifyWooCommerceSignature,
		signsTimestamp: false,
		signsUrl: false,
		signature: { header: ['x-wc-webhook-signature'] },
		eventId: { header: ['x-wc-webhook-delivery-id'] },
		eventType: { header: ['x-wc-webhook-topic'] },
		isUnsignedPing: isWooCommercePing,
	},
	square: {
		name: 'square',
		displayName: 'Square',
		summary: 'X-Square-Hmacsha256-Signature',
		verify: verifySquareSignature,
		signsTimestamp: false,
		signsUrl: true,
		signature: { header: ['x-square-hmacsha256-signature'] },
		eventId: { bodyPath: 'event_id' },
		eventType: { bodyPath: 'type' },
	},
	zoom: {
		name: 'zoom',
		displayName: 'Zoom',
		summary: 'X-Zm-Signature, answers the URL validation challenge',
		verify: verifyZoomSignature,
		signsTimestamp: true,
		signsUrl: false,
		signature: { header: ['x-zm-signature'] },
		eventId: {},
		eventType: { bodyPath: 'event' },
		answerHandshake: answerZoomHandshake,
	},
	hubspot: {
		name: 'hubspot',
		displayName: 'HubSpot (V3)',
		summary: 'X-HubSpot-Signature-v3, one item per event',
		verify: verifyHubspotSignature,
		signsTimestamp: true,
		signsUrl: true,
		signature: { header: ['x-hubspot-signature-v3'] },
		// Read in each event: `attemptNumber` changes on every retry, `eventId` does not.
		eventId: { bodyPath: 'eventId' },
		eventType: { bodyPath: 'subscriptionType' },
		batch: { arrayPath: '' },
	},
	twilio: {
		name: 'twilio',
		displayName: 'Twilio',
		summary: 'X-Twilio-Signature',
		verify: verifyTwilioSignature,
		signsTimestamp: false,
		signsUrl: true,
		signature: { header: ['x-twilio-signature'] },
		eventId: { header: ['i-twilio-idempotency-token'] },
		eventType: {},
	},
	sendgrid: {
		name: 'sendgrid',
		displayName: 'SendGrid Event Webhook',
		summary: 'ECDSA public key signature, one item per event',
		verify: verifySendgridSignature,
		signsTimestamp: true,
		signsUrl: false,
		signature: { header: ['x-twilio-email-event-webhook-signature'] },
		eventId: { bodyPath: 'sg_event_id' },
		eventType: { bodyPath: 'event' },
		batch: { arrayPath: '' },
	},
};

const CUSTOM_HMAC_SUMMARY: SchemeSummary = {
	name: 'customHmac',
	displayName: 'Custom HMAC',
	summary: 'Any HMAC signature in a header',
	// Both depend on the configuration, so the node must offer tolerance and public URL.
	signsTimestamp: true,
	signsUrl: true,
};

/** Every scheme the node offers, in the registry's order, Custom HMAC last. */
export const schemeSummaries: readonly SchemeSummary[] = [
	...Object.values(signatureSchemes),
	CUSTOM_HMAC_SUMMARY,
];

export interface CustomSchemeConfig extends CustomHmacConfig {
	/** Set when the sender batches events: the array's dotted path, '' for a body that is one. */
	eventsArrayPath?: string;
}

/** A scheme like the built-in ones from the operator's settings, so every verify looks the same. */
export function customHmacScheme(config: CustomSchemeConfig): SignatureScheme {
	return {
		...CUSTOM_HMAC_SUMMARY,
		signsTimestamp: config.timestampHeader !== undefined,
		signsUrl: (config.signedPayloadTemplate ?? '').includes('{url}'),
		verify: (request, options) => verifyCustomHmacSignature(request, options, config),
		signature: { header: [config.signatureHeader] },
		// The id header is also what {id} signs.
		eventId: config.idHeader ? { header: [config.idHeader] } : {},
		eventType: {},
		batch: config.eventsArrayPath === undefined ? undefined : { arrayPath: config.eventsArrayPath },
	};
}
