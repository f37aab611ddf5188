export * from './types';
export { signaturesEqual, decodeStrict, type SignatureEncoding } from './compare';
export { verifyWithAnySecret } from './verifyWithAnySecret';
export type { HmacAlgorithm } from './hmac';
export { verifyCustomHmacSignature, type CustomHmacConfig } from './customHmac';
export { verifyGithubSignature } from './github';
export { verifyHubspotSignature } from './hubspot';
export { verifyPaddleSignature } from './paddle';
export { verifySendgridSignature } from './sendgrid';
export { verifyShopifySignature } from './shopify';
export { verifySlackSignature } from './slack';
export { verifySquareSignature } from './square';
export { verifyStandardWebhooksSignature } from './standardWebhooks';
export { verifyStripeSignature } from './stripe';
export { verifyTwilioSignature } from './twilio';
export { verifyWooCommerceSignature } from './wooCommerce';
export { answerZoomUrlValidation, verifyZoomSignature } from './zoom';

export {
	signatureSchemes,
	type DeliveryField,
	type SignatureScheme,
	type SignatureSchemeName,
} from './schemes';
