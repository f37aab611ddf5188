export * from './types';
export { signaturesEqual, decodeStrict, type SignatureEncoding } from './compare';
export { verifyWithAnySecret } from './verifyWithAnySecret';
export type { HmacAlgorithm } from './hmac';
export { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
export { verifyGithubSignature } from './github';
export { decodeHubspotUri, verifyHubspotSignature } from './hubspot';
export { verifyPaddleSignature } from './paddle';
export { verifySendgridSignature } from './sendgrid';
export { verifyShopifySignature } from './shopify';
export { answerSlackHandshake, verifySlackSignature } from './slack';
export { verifySquareSignature } from './square';
export { verifyStandardWebhooksSignature } from './standardWebhooks';
export { verifyStripeSignature } from './stripe';
export { verifyTwilioSignature } from './twilio';
export { isWooCommercePing, verifyWooCommerceSignature } from './wooCommerce';
export { answerZoomHandshake, answerZoomUrlValidation, verifyZoomSignature } from './zoom';

export {
	customHmacScheme,
	schemeSummaries,
	signatureSchemes,
	type BuiltInSchemeName,
	type CustomSchemeConfig,
	type EventBatch,
	type HandshakeAnswer,
	type SchemeSummary,
	type SignatureScheme,
	type SignatureSchemeName,
} from './schemes';
