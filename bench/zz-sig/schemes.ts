import { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
import { verifyGithubSignature } from './github';
import { verifyHubspotSignature } from './hubspot';
import { verifyPaddleSignature } from './paddle';
import { verifySendgridSignature } from './sendgrid';
import { verifyShopifySignature } from './shopify';
import { verifySlackSignature } from './slack';
import { verifySquareSignature } from './square';
import { verifyStandardWebhooksSignature } from './standardWebhooks';
import { verifyStripeSignature } from './stripe';
import { verifyTwilioSignature } from './twilio';
import type { SignedRequest, VerifiedDelivery, VerifyOptions } from './types';
import { verifyWooCommerceSignature } from './wooCommerce';
import { verifyZoomSignature } from './zoom';

export type SignatureSchemeName =
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
	| 'sendgrid'
	| 'customHmac';

/** Where a value lives in a delivery: header candidates in order, or a dotted path into the JSON body. */
export interface DeliveryField {
	header?: string[];
	bodyPath?: string;
}

export interface SignatureScheme {
	name: SignatureSchemeName;
	displayName: string;
	verify(
		request: SignedRequest,
		options: VerifyOptions,
		custom?: CustomHmacConfig,
	): VerifiedDelivery;
	/** The tolerance applies (for customHmac: when a timestamp header is configured). */
	signsTimestamp: boolean;
	/** Needs the public URL as the sender called it (for customHmac: when the template uses {url}). */
	signsUrl: boolean;
	/** The natural dedup key; empty when the provider has none. */
	eventId: DeliveryField;
	eventType: DeliveryField;
	/** Headers the scheme reads: for docs, and to redact them from the output. */
	signatureHeaders: string[];
}

export const signatureSchemes: Record<SignatureSchemeName, SignatureScheme> = {
	standardWebhooks: {
		name: 'standardWebhooks',
		displayName: 'Standard Webhooks / Svix',
		verify: verifyStandardWebhooksSignature,
		signsTimestamp: true,
		signsUrl: false,
		eventId: { header: ['webhook-id', 'svix-id'] },
		eventType: { bodyPath: 'type' },
		signatureHeaders: [
			'webhook-id',
			'webhook-timestamp',
			'webhook-signature',
			'svix-id',
			'svix-timestamp',
			'svix-signature',
		],
	},
	stripe: {
		name: 'stripe',
		displayName: 'Stripe',
		verify: verifyStripeSignature,
		signsTimestamp: true,
		signsUrl: false,
		eventId: { bodyPath: 'id' },
		eventType: { bodyPath: 'type' },
		signatureHeaders: ['stripe-signature'],
	},
	github: {
		name: 'github',
		displayName: 'GitHub',
		verify: verifyGithubSignature,
		signsTimestamp: false,
		signsUrl: false,
		eventId: { header: ['x-github-delivery'] },
		eventType: { header: ['x-github-event'] },
		signatureHeaders: ['x-hub-signature-256', 'x-hub-signature'],
	},
	shopify: {
		name: 'shopify',
		displayName: 'Shopify',
		verify: verifyShopifySignature,
		signsTimestamp: false,
		signsUrl: false,
		// X-Shopify-Webhook-Id changes across retries of the same event.
		eventId: { header: ['x-shopify-event-id'] },
		eventType: { header: ['x-shopify-topic'] },
		signatureHeaders: ['x-shopify-hmac-sha256'],
	},
	slack: {
		name: 'slack',
		displayName: 'Slack',
		verify: verifySlackSignature,
		signsTimestamp: true,
		signsUrl: false,
		eventId: { bodyPath: 'event_id' },
		// The outer `type` is almost always 'event_callback'; the event's own type says what happened.
		eventType: { bodyPath: 'event.type' },
		signatureHeaders: ['x-slack-signature', 'x-slack-request-timestamp'],
	},
	paddle: {
		name: 'paddle',
		displayName: 'Paddle Billing',
		verify: verifyPaddleSignature,
		signsTimestamp: true,
		signsUrl: false,
		eventId: { bodyPath: 'event_id' },
		eventType: { bodyPath: 'event_type' },
		signatureHeaders: ['paddle-signature'],
	},
	wooCommerce: {
		name: 'wooCommerce',
		displayName: 'WooCommerce',
		verify: verifyWooCommerceSignature,
		signsTimestamp: false,
		signsUrl: false,
		eventId: { header: ['x-wc-webhook-delivery-id'] },
		eventType: { header: ['x-wc-webhook-topic'] },
		signatureHeaders: ['x-wc-webhook-signature'],
	},
	square: {
		name: 'square',
		displayName: 'Square',
		verify: verifySquareSignature,
		signsTimestamp: false,
		signsUrl: true,
		eventId: { bodyPath: 'event_id' },
		eventType: { bodyPath: 'type' },
		signatureHeaders: ['x-square-hmacsha256-signature'],
	},
	zoom: {
		name: 'zoom',
		displayName: 'Zoom',
		verify: verifyZoomSignature,
		signsTimestamp: true,
		signsUrl: false,
		eventId: {},
		eventType: { bodyPath: 'event' },
		signatureHeaders: ['x-zm-signature', 'x-zm-request-timestamp'],
	},
	hubspot: {
		name: 'hubspot',
		displayName: 'HubSpot (v3)',
		verify: verifyHubspotSignature,
		signsTimestamp: true,
		signsUrl: true,
		// HubSpot posts an array of events; the caller reads the path in each.
		eventId: { bodyPath: 'eventId' },
		eventType: { bodyPath: 'subscriptionType' },
		signatureHeaders: ['x-hubspot-signature-v3', 'x-hubspot-request-timestamp'],
	},
	twilio: {
		name: 'twilio',
		displayName: 'Twilio',
		verify: verifyTwilioSignature,
		signsTimestamp: false,
		signsUrl: true,
		eventId: { header: ['i-twilio-idempotency-token'] },
		eventType: {},
		signatureHeaders: ['x-twilio-signature'],
	},
	sendgrid: {
		name: 'sendgrid',
		displayName: 'SendGrid Event Webhook',
		verify: verifySendgridSignature,
		signsTimestamp: false,
		signsUrl: false,
		// SendGrid posts an array of events; the caller reads the path in each.
		eventId: { bodyPath: 'sg_event_id' },
		eventType: { bodyPath: 'event' },
		signatureHeaders: [
			'x-twilio-email-event-webhook-signature',
			'x-twilio-email-event-webhook-timestamp',
		],
	},
	customHmac: {
		name: 'customHmac',
		displayName: 'Custom HMAC',
		verify(request, options, custom) {
			if (custom === undefined) throw new Error('The customHmac scheme needs its CustomHmacConfig');
			return verifyCustomHmacSignature(request, options, custom);
		},
		// Both depend on the configuration, so the node must offer tolerance and public URL.
		signsTimestamp: true,
		signsUrl: true,
		// Configured per node (idHeader); nothing to assume here.
		eventId: {},
		eventType: {},
		signatureHeaders: [],
	},
};
