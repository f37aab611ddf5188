import { createHmac } from 'crypto';

import { signatureSchemes, type SignatureSchemeName } from '../../../lib/signatures';
import { NOW, options, signedRequest } from './helpers';

const NAMES: SignatureSchemeName[] = [
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
	'customHmac',
];

describe('signatureSchemes', () => {
	it('lists every scheme under its own name', () => {
		expect(Object.keys(signatureSchemes).sort()).toEqual([...NAMES].sort());
		for (const name of NAMES) expect(signatureSchemes[name].name).toBe(name);
	});

	it('gives every scheme a display name and lower-case header names', () => {
		for (const scheme of Object.values(signatureSchemes)) {
			expect(scheme.displayName).not.toBe('');
			const headers = [
				...scheme.signatureHeaders,
				...(scheme.eventId.header ?? []),
				...(scheme.eventType.header ?? []),
			];
			for (const header of headers) expect(header).toBe(header.toLowerCase());
		}
	});

	it('marks the URL-signing schemes', () => {
		const signsUrl = NAMES.filter(
			(name) => signatureSchemes[name].signsUrl && name !== 'customHmac',
		);
		expect(signsUrl).toEqual(['square', 'hubspot', 'twilio']);
	});

	it('marks the timestamp-signing schemes the tolerance applies to', () => {
		const signsTimestamp = NAMES.filter(
			(name) => signatureSchemes[name].signsTimestamp && name !== 'customHmac',
		);
		expect(signsTimestamp).toEqual([
			'standardWebhooks',
			'stripe',
			'slack',
			'paddle',
			'zoom',
			'hubspot',
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
		});
	});

	it('passes the custom configuration to customHmac', () => {
		const body = 'hello';
		const request = signedRequest(body, {
			'x-sig': createHmac('sha1', 'k3y').update(body).digest('hex'),
		});
		const custom = { signatureHeader: 'x-sig', algorithm: 'sha1', encoding: 'hex' } as const;
		expect(signatureSchemes.customHmac.verify(request, options(['k3y']), custom)).toEqual({});
	});

	it('throws a configuration error when customHmac gets no configuration', () => {
		expect(() =>
			signatureSchemes.customHmac.verify(signedRequest('', {}), options(['k3y'])),
		).toThrow('The customHmac scheme needs its CustomHmacConfig');
	});
});
