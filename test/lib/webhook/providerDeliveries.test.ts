import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { customHmacScheme, type SignatureScheme, signatureSchemes } from '../../../lib/signatures';
import { EmbeddedStore } from '../../../lib/store/EmbeddedStore';
import {
	type DeliveryConfig,
	type DeliveryDecision,
	handleDelivery,
	type IncomingDelivery,
} from '../../../lib/webhook/handleDelivery';
import { httpAnswer } from '../../../lib/webhook/httpAnswer';
import { parseIpAllowlist } from '../../../lib/webhook/ipAllowlist';
import { RateLimiter } from '../../../lib/webhook/rateLimiter';
import {
	incoming,
	newSecret,
	NOW_MS,
	NOW_SECONDS,
	sendgridKeys,
	signHubspot,
	signSlack,
} from './signedDeliveries';

/**
 * Deliveries shaped as each provider documents them (issue 9): batches split per event and
 * deduplicated per event, handshakes answered without an execution, cheap refusals before any
 * secret is read.
 */

const DAY_MS = 86_400_000;
const folder = mkdtempSync(join(tmpdir(), 'hybrid-sync-providers-'));
let fileNumber = 0;
let store: EmbeddedStore;
let secretReads: number;

beforeEach(() => {
	store = new EmbeddedStore({ path: join(folder, `store-${++fileNumber}.sqlite`) });
	secretReads = 0;
});
afterEach(async () => store.close());
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function configFor(
	scheme: SignatureScheme,
	overrides: Partial<DeliveryConfig> = {},
): DeliveryConfig {
	return {
		scheme,
		toleranceSeconds: 300,
		maxBodyBytes: 1024 * 1024,
		bodyFormat: 'auto',
		rateLimitPerMinute: 0,
		rateLimitKey: 'workflow-1:node-1',
		dedup: { namespace: `webhook:${scheme.name}`, windowMs: DAY_MS },
		includeHeaders: false,
		...overrides,
	};
}

const deliver = async (delivery: IncomingDelivery, config: DeliveryConfig, secrets: string[]) =>
	await handleDelivery(delivery, config, {
		secrets: async () => {
			secretReads++;
			return secrets;
		},
		store: async () => store,
		rateLimiter: new RateLimiter(() => NOW_MS),
	});

function expectBatch(decision: DeliveryDecision) {
	expect(decision.outcome).toBe('batch');
	return decision as Extract<DeliveryDecision, { outcome: 'batch' }>;
}

describe('HubSpot batches', () => {
	const SECRET = newSecret();
	const URL = 'https://n8n.example.com/webhook/hubspot';
	/** Shaped as HubSpot's webhook docs show a delivery: an array of events, attemptNumber in each. */
	const batch = (attemptNumber: number, eventIds = [1001, 1002, 1003]) =>
		JSON.stringify(
			eventIds.map((eventId, index) => ({
				eventId,
				subscriptionId: 12345,
				portalId: 62515,
				occurredAt: 1564113600000 + index,
				subscriptionType: 'contact.creation',
				attemptNumber,
				objectId: 123 + index,
				changeSource: 'CRM',
				changeFlag: 'NEW',
				appId: 54321,
			})),
		);
	const send = async (body: string) =>
		await deliver(
			incoming(signHubspot(body, SECRET, URL), { url: URL }),
			configFor(signatureSchemes.hubspot),
			[SECRET],
		);

	it('verifies once and accepts each event as its own item, id and type from the event', async () => {
		const decision = expectBatch(await send(batch(0)));
		expect(decision.duplicates).toEqual([]);
		expect(decision.accepted.map(({ envelope }) => [envelope.id, envelope.type])).toEqual([
			['1001', 'contact.creation'],
			['1002', 'contact.creation'],
			['1003', 'contact.creation'],
		]);
		expect(decision.accepted[1].envelope).toMatchObject({
			occurredAt: '2019-07-26T04:00:00.001Z',
			data: { eventId: 1002, objectId: 124, attemptNumber: 0 },
		});
	});

	it('answers the retry (attemptNumber incremented) as a duplicate with no events to run', async () => {
		await send(batch(0));
		const retry = expectBatch(await send(batch(1)));
		expect([retry.accepted, retry.duplicates.map(({ eventId }) => eventId)]).toEqual([
			[],
			['1001', '1002', '1003'],
		]);
		expect(httpAnswer(retry)).toMatchObject({
			status: 200,
			body: { received: true, duplicate: true, duplicateIds: ['1001', '1002', '1003'] },
			events: [],
		});
	});

	it('runs only the new events of a partly new batch', async () => {
		await send(batch(0, [1001, 1002]));
		const decision = expectBatch(await send(batch(1, [1001, 1002, 1004])));
		const answer = httpAnswer(decision);
		expect([answer.events.map(({ eventId }) => eventId), answer.body]).toEqual([
			['1004'],
			{ received: true, ids: ['1004'], duplicateIds: ['1001', '1002'] },
		]);
	});

	it('counts an event repeated inside one batch once', async () => {
		const decision = expectBatch(await send(batch(0, [7, 7])));
		expect([decision.accepted.length, decision.duplicates.length]).toEqual([1, 1]);
	});

	it('answers an empty batch with 200 and runs nothing', async () => {
		const answer = httpAnswer(await send('[]'));
		expect(answer).toMatchObject({ status: 200, body: { received: true, ids: [] }, events: [] });
	});
});

describe('HubSpot v3 signatures over URLs with encoded characters', () => {
	// The placeholders of HubSpot's request-validation docs; HubSpot publishes no v3 signature
	// value, so the vector is signed here over the URI decoded as its docs list.
	const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
	const BODY = '{"example_field":"example_value"}';
	const SENT_URL =
		'https://www.example.com/webhook_uri?param=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&space=a%20b';
	const SIGNED_URI = "https://www.example.com/webhook_uri?param=:/?@!$'()*,;&space=a%20b";

	it('decodes exactly the listed escapes before hashing', async () => {
		const signed = signHubspot(BODY, SECRET, SIGNED_URI);
		const decision = await deliver(
			incoming(signed, { url: SENT_URL }),
			configFor(signatureSchemes.hubspot, { dedup: undefined }),
			[SECRET],
		);
		expect(decision.outcome).toBe('batch');
	});

	it('still refuses a signature over the URI as sent (escapes kept)', async () => {
		const signed = signHubspot(BODY, SECRET, SENT_URL);
		const decision = await deliver(
			incoming(signed, { url: SENT_URL }),
			configFor(signatureSchemes.hubspot),
			[SECRET],
		);
		expect(decision).toMatchObject({ outcome: 'rejected', status: 401 });
	});
});

describe('SendGrid batches', () => {
	const keys = sendgridKeys();
	/** Shaped as SendGrid's Event Webhook docs show a post: an array, sg_event_id in each event. */
	const BODY = JSON.stringify([
		{
			email: 'example@test.com',
			timestamp: 1513299569,
			'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
			event: 'processed',
			category: 'cat facts',
			sg_event_id: 'sg_event_id_processed',
			sg_message_id: 'sg_message_id',
		},
		{
			email: 'example@test.com',
			timestamp: 1513299570,
			event: 'delivered',
			sg_event_id: 'sg_event_id_delivered',
			sg_message_id: 'sg_message_id',
		},
	]);
	const config = configFor(signatureSchemes.sendgrid);

	it('splits the post into one event per sg_event_id, typed and timed by the event', async () => {
		const decision = expectBatch(
			await deliver(incoming(keys.sign(BODY)), config, [keys.publicKey]),
		);
		expect(
			decision.accepted.map(({ envelope }) => [envelope.id, envelope.type, envelope.occurredAt]),
		).toEqual([
			['sg_event_id_processed', 'processed', '2017-12-15T00:59:29.000Z'],
			['sg_event_id_delivered', 'delivered', '2017-12-15T00:59:30.000Z'],
		]);
	});

	it('recognises a re-signed retry of the same events as duplicates', async () => {
		await deliver(incoming(keys.sign(BODY)), config, [keys.publicKey]);
		const retry = await deliver(
			incoming(keys.sign(BODY, NOW_SECONDS + 60), { receivedAtMs: NOW_MS + 60_000 }),
			config,
			[keys.publicKey],
		);
		expect(expectBatch(retry).accepted).toEqual([]);
	});

	it('refuses a correctly signed post 10 minutes old, and accepts it when the check is off', async () => {
		const old = incoming(keys.sign(BODY, NOW_SECONDS - 600));
		expect(await deliver(old, config, [keys.publicKey])).toMatchObject({
			outcome: 'rejected',
			status: 401,
			reason: 'timestampOutOfTolerance',
		});
		const unchecked = { ...config, toleranceSeconds: Infinity };
		expect((await deliver(old, unchecked, [keys.publicKey])).outcome).toBe('batch');
	});
});

describe('Custom HMAC events array path', () => {
	const SECRET = newSecret();
	const BODY = JSON.stringify({
		batch: {
			events: [
				{ uid: 'e1', kind: 'a' },
				{ uid: 'e2', kind: 'b' },
			],
		},
	});
	const signed = {
		body: BODY,
		headers: {
			'content-type': 'application/json',
			'x-sig': createHmac('sha256', SECRET).update(BODY).digest('hex'),
		},
	};
	const settings = { signatureHeader: 'X-Sig', algorithm: 'sha256', encoding: 'hex' } as const;

	it('splits the array at the path; each event deduplicated by the body field read inside it', async () => {
		const config = configFor(customHmacScheme({ ...settings, eventsArrayPath: 'batch.events' }), {
			dedup: { namespace: 'webhook:custom', windowMs: DAY_MS, idSource: { bodyPath: 'uid' } },
		});
		const first = expectBatch(await deliver(incoming(signed), config, [SECRET]));
		const again = expectBatch(await deliver(incoming(signed), config, [SECRET]));
		expect([first.accepted.map(({ eventId }) => eventId), again.accepted]).toEqual([
			['e1', 'e2'],
			[],
		]);
	});

	it('hashes each event when no id is configured, so distinct events stay distinct', async () => {
		const config = configFor(customHmacScheme({ ...settings, eventsArrayPath: 'batch.events' }));
		const decision = expectBatch(await deliver(incoming(signed), config, [SECRET]));
		const hash = (event: object) =>
			`sha256:${createHash('sha256').update(JSON.stringify(event)).digest('hex')}`;
		expect(decision.accepted.map(({ eventId }) => eventId)).toEqual([
			hash({ uid: 'e1', kind: 'a' }),
			hash({ uid: 'e2', kind: 'b' }),
		]);
	});

	it('keeps one event per delivery without a path', async () => {
		const config = configFor(customHmacScheme(settings));
		expect((await deliver(incoming(signed), config, [SECRET])).outcome).toBe('accepted');
	});
});

describe('Slack handshakes', () => {
	const SECRET = newSecret();
	const config = configFor(signatureSchemes.slack);
	/** As Slack's Events API docs show the Request URL check. */
	const VERIFICATION =
		'{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}';

	it('answers a signed url_verification with its challenge, records nothing', async () => {
		const markSeen = jest.spyOn(store, 'markSeen');
		const decision = await deliver(incoming(signSlack(VERIFICATION, SECRET)), config, [SECRET]);
		expect(httpAnswer(decision)).toEqual({
			status: 200,
			headers: {},
			body: { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' },
			events: [],
		});
		expect(markSeen).not.toHaveBeenCalled();
	});

	it('answers 401, not the challenge, when signed with another secret', async () => {
		const forged = incoming(signSlack(VERIFICATION, newSecret()));
		expect(await deliver(forged, config, [SECRET])).toMatchObject({
			outcome: 'rejected',
			status: 401,
		});
	});

	it('answers a signed slash-command ssl_check with 200 and no event', async () => {
		const body = 'ssl_check=1&token=Jhj5dZrVaK7ZwHHjRyZWjbDl';
		const signed = signSlack(body, SECRET);
		const form = {
			...signed,
			headers: { ...signed.headers, 'content-type': 'application/x-www-form-urlencoded' },
		};
		expect(httpAnswer(await deliver(incoming(form), config, [SECRET]))).toMatchObject({
			status: 200,
			events: [],
		});
	});
});

describe('WooCommerce creation ping', () => {
	const config = configFor(signatureSchemes.wooCommerce);
	const ping = incoming({
		body: 'webhook_id=17',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
	});

	it('answers the unsigned ping with 200 and no event, without reading the secret', async () => {
		expect(httpAnswer(await deliver(ping, config, ['unused']))).toMatchObject({
			status: 200,
			events: [],
		});
		expect(secretReads).toBe(0);
	});

	it('refuses any other unsigned body as usual', async () => {
		const other = incoming({ body: 'webhook_id=17&x=1', headers: {} });
		expect(await deliver(other, config, ['unused'])).toMatchObject({
			outcome: 'rejected',
			status: 401,
		});
	});
});

describe('cheap rejections', () => {
	const stripe = configFor(signatureSchemes.stripe);
	const unsigned = incoming({
		body: '{"id": "evt_1"}',
		headers: { 'content-type': 'application/json' },
	});

	it.each([
		['a body over the limit', { ...stripe, maxBodyBytes: 4 }, 413],
		[
			'a sender outside the allowlist',
			{ ...stripe, ipAllowlist: parseIpAllowlist('10.0.0.0/8') },
			403,
		],
		['a delivery without the signature header', stripe, 401],
	])('refuses %s before the secret is read', async (_case, config, status) => {
		expect(await deliver(unsigned, config, ['whsec_unused'])).toMatchObject({ status });
		expect(secretReads).toBe(0);
	});

	it('names the missing signature header in the answer', async () => {
		const decision = await deliver(unsigned, configFor(signatureSchemes.github), ['unused']);
		expect(decision).toMatchObject({
			reason: 'signatureInvalid',
			message: 'Missing required header "x-hub-signature-256" or "x-hub-signature"',
		});
	});
});
