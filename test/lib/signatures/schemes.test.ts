import { createHmac } from 'crypto';

import {
	type BuiltInSchemeName,
	customHmacScheme,
	schemeSummaries,
	signatureSchemes,
	type SignatureSchemeName,
} from '../../../lib/signatures';
import { NOW, options, signedRequest } from './helpers';

const NAMES: BuiltInSchemeName[] = [
	'standardWebhooks',
	'stripe',
	'github',
	'shopify',
	'slack',
	'paddle',
	'wooCommerce',
	'square',
	'zoom',
	'hubspot',
	'twilio',
	'sendgrid',
];
const schemeNamed = (name: SignatureSchemeName) =>
	schemeSummaries.find((scheme) => scheme.name === name)!;

describe('signatureSchemes', () => {
	it('lists every built-in scheme under its own name, and offers them all plus Custom HMAC', () => {
		expect(Object.keys(signatureSchemes).sort()).toEqual([...NAMES].sort());
		for (const name of NAMES) expect(signatureSchemes[name].name).toBe(name);
		expect(schemeSummaries.map(({ name }) => name)).toEqual([...NAMES, 'customHmac']);
	});

	it('gives every scheme a display name and lower-case header names', () => {
		for (const scheme of Object.values(signatureSchemes)) {
			expect(scheme.displayName).not.toBe('');
			const headers = [
				...(scheme.signature.header ?? []),
				...(scheme.eventId.header ?? []),
				...(scheme.eventType.header ?? []),
			];
			for (const header of headers) expect(header).toBe(header.toLowerCase());
		}
	});

	it('marks the URL-signing schemes', () => {
		const signsUrl = NAMES.filter((name) => schemeNamed(name).signsUrl);
		expect(signsUrl).toEqual(['square', 'hubspot', 'twilio']);
	});

	it('marks the timestamp-signing schemes the tolerance applies to', () => {
		const signsTimestamp = NAMES.filter((name) => schemeNamed(name).signsTimestamp);
		// SendGrid signs its timestamp too; the tolerance now applies to it (issue 9).
		expect(signsTimestamp).toEqual([
			'standardWebhooks',
			'stripe',
			'slack',
			'paddle',
			'zoom',
			'hubspot',
			'sendgrid',
		]);
		expect([schemeNamed('customHmac').signsTimestamp, schemeNamed('customHmac').signsUrl]).toEqual([
			true,
			true,
		]);
	});

	it('offers both Standard Webhooks and Svix id headers as dedup key candidates, in that order', () => {
		expect(signatureSchemes.standardWebhooks.eventId).toEqual({
			header: ['webhook-id', 'svix-id'],
		});
	});

	it('dispatches to the scheme verify function', () => {
		const body = '{"id": "evt_1"}';
		const signature = createHmac('sha256', 'whsec_x').update(`${NOW}.${body}`).digest('hex');
		const request = signedRequest(body, { 'stripe-signature': `t=${NOW},v1=${signature}` });
		expect(signatureSchemes.stripe.verify(request, options(['whsec_x']))).toEqual({
			timestampSeconds: NOW,
			secret: 'whsec_x',
		});
	});

	it('builds a Custom HMAC scheme whose verify has the same signature as every other', () => {
		const body = 'hello';
		const request = signedRequest(body, {
			'x-sig': createHmac('sha1', 'k3y').update(body).digest('hex'),
		});
		const scheme = customHmacScheme({
			signatureHeader: 'X-Sig',
			algorithm: 'sha1',
			encoding: 'hex',
		});
		expect(scheme.verify(request, options(['k3y']))).toEqual({ secret: 'k3y' });
		expect([scheme.signsTimestamp, scheme.signsUrl, scheme.batch]).toEqual([
			false,
			false,
			undefined,
		]);
	});

	it('derives what a Custom HMAC scheme signs and reads from its settings', () => {
		const scheme = customHmacScheme({
			signatureHeader: 'x-sig',
			algorithm: 'sha256',
			encoding: 'hex',
			signedPayloadTemplate: '{url}|{timestamp}|{body}',
			timestampHeader: 'x-ts',
			idHeader: 'X-Delivery',
			eventsArrayPath: 'events',
		});
		expect({
			signsTimestamp: scheme.signsTimestamp,
			signsUrl: scheme.signsUrl,
			eventId: scheme.eventId,
			batch: scheme.batch,
		}).toEqual({
			signsTimestamp: true,
			signsUrl: true,
			eventId: { header: ['X-Delivery'] },
			batch: { arrayPath: 'events' },
		});
	});
});
