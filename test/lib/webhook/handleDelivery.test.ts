import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { customHmacScheme, signatureSchemes } from '../../../lib/signatures';
import { EmbeddedStore } from '../../../lib/store/EmbeddedStore';
import { type IdempotencyStore, StoreError } from '../../../lib/store/IdempotencyStore';
import {
	type DeliveryConfig,
	type DeliveryDecision,
	type DeliveryDependencies,
	handleDelivery,
	type IncomingDelivery,
	type RejectionReason,
} from '../../../lib/webhook/handleDelivery';
import { parseIpAllowlist } from '../../../lib/webhook/ipAllowlist';
import { RateLimiter } from '../../../lib/webhook/rateLimiter';
import {
	incoming,
	newSecret,
	NOW_MS,
	NOW_SECONDS,
	signGithub,
	signShopify,
	signStandardWebhooks,
	signStripe,
	signZoom,
} from './signedDeliveries';

const DAY_MS = 86_400_000;
const TOLERANCE_SECONDS = 300;

const STRIPE_SECRET = newSecret('whsec_');
const PREVIOUS_STRIPE_SECRET = newSecret('whsec_');
const GITHUB_SECRET = newSecret();
const STANDARD_SECRET = newSecret('whsec_');
const ZOOM_SECRET = newSecret();
const PREVIOUS_ZOOM_SECRET = newSecret();
const SHOPIFY_SECRET = newSecret();
const CUSTOM_SECRET = newSecret();
const ALL_SECRETS = [
	STRIPE_SECRET,
	PREVIOUS_STRIPE_SECRET,
	GITHUB_SECRET,
	STANDARD_SECRET,
	ZOOM_SECRET,
	PREVIOUS_ZOOM_SECRET,
	SHOPIFY_SECRET,
	CUSTOM_SECRET,
];

/** Spaces after ':' on purpose: a verifier that re-serialised the JSON would fail. */
const STRIPE_BODY =
	'{"id": "evt_1NG8Du2eZvKYlo2CUI79vXWy", "object": "event", "type": "invoice.paid", "created": 1699999990, "data": {"object": {"id": "in_1", "amount_paid": 4200}}}';
const STRIPE_EVENT_ID = 'evt_1NG8Du2eZvKYlo2CUI79vXWy';

const folder = mkdtempSync(join(tmpdir(), 'hybrid-sync-delivery-'));
let fileNumber = 0;
const freshPath = () => join(folder, `store-${++fileNumber}.sqlite`);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The store's clock and the rate limiter's clock, moved by the tests. */
let storeNow: number;
let limiterNow: number;
let store: EmbeddedStore;
let markSeen: jest.SpiedFunction<IdempotencyStore['markSeen']>;

beforeEach(() => {
	storeNow = NOW_MS;
	limiterNow = NOW_MS;
	store = new EmbeddedStore({ path: freshPath(), clock: () => storeNow });
	markSeen = jest.spyOn(store, 'markSeen');
});
afterEach(async () => store.close());

/** The node's configuration plus the secrets its credential holds (read lazily by handleDelivery). */
type TestConfig = DeliveryConfig & { secrets: string[] };

function stripeConfig(overrides: Partial<TestConfig> = {}): TestConfig {
	return {
		scheme: signatureSchemes.stripe,
		secrets: [STRIPE_SECRET],
		toleranceSeconds: TOLERANCE_SECONDS,
		maxBodyBytes: 1024 * 1024,
		bodyFormat: 'auto',
		rateLimitPerMinute: 0,
		rateLimitKey: 'workflow-1:node-1',
		dedup: { namespace: 'webhook:payments', windowMs: DAY_MS },
		includeHeaders: false,
		...overrides,
	};
}

interface TestDependencies {
	store: IdempotencyStore;
	rateLimiter: RateLimiter;
}

function dependencies(
	secrets: string[],
	overrides: Partial<TestDependencies> = {},
): DeliveryDependencies {
	const chosen = { store, rateLimiter: new RateLimiter(() => limiterNow), ...overrides };
	return {
		secrets: async () => secrets,
		store: async () => chosen.store,
		rateLimiter: chosen.rateLimiter,
	};
}

const deliver = (
	delivery: IncomingDelivery,
	{ secrets, ...config }: TestConfig = stripeConfig(),
	dependencyOverrides: Partial<TestDependencies> = {},
) => handleDelivery(delivery, config, dependencies(secrets, dependencyOverrides));

const stripeDelivery = (body = STRIPE_BODY, overrides: Partial<IncomingDelivery> = {}) =>
	incoming(signStripe(body, STRIPE_SECRET), overrides);

type Rejection = Extract<DeliveryDecision, { outcome: 'rejected' }>;

/**
 * The rejection with `status` and `reason`. Also checks what every rejection must hold: nothing in
 * it (message, log detail) reveals a secret, and the store was not touched, so a genuine retry of
 * the same event is not taken for a duplicate.
 */
function expectRejected(
	decision: DeliveryDecision,
	status: Rejection['status'],
	reason: RejectionReason,
): Rejection {
	expect(decision).toMatchObject({ outcome: 'rejected', status, reason });
	const everything = JSON.stringify(decision);
	for (const secret of ALL_SECRETS) {
		expect(everything).not.toContain(secret);
		expect(everything).not.toContain(secret.replace(/^whsec_/, ''));
	}
	if (status !== 503) expect(markSeen).not.toHaveBeenCalled();
	return decision as Rejection;
}

function expectAccepted(decision: DeliveryDecision) {
	expect(decision.outcome).toBe('accepted');
	return decision as Extract<DeliveryDecision, { outcome: 'accepted' }>;
}

const sha256Id = (body: string) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

describe('handleDelivery', () => {
	describe('an accepted first delivery', () => {
		it('becomes an envelope: natural id, type, signed time, receive time, scheme and data', async () => {
			const decision = await deliver(stripeDelivery(STRIPE_BODY, { receivedAtMs: NOW_MS + 1500 }));
			expect(decision).toEqual({
				outcome: 'accepted',
				eventId: STRIPE_EVENT_ID,
				envelope: {
					id: STRIPE_EVENT_ID,
					type: 'invoice.paid',
					occurredAt: '2023-11-14T22:13:20.000Z',
					receivedAt: '2023-11-14T22:13:21.500Z',
					source: 'webhook',
					scheme: 'stripe',
					data: JSON.parse(STRIPE_BODY),
				},
			});
		});

		it('is recorded in the store under its namespace', async () => {
			await deliver(stripeDelivery());
			const [record] = await store.inspect('webhook:payments', [STRIPE_EVENT_ID]);
			expect(record).toMatchObject({ key: STRIPE_EVENT_ID, expiresAt: NOW_MS + DAY_MS });
		});

		it('takes GitHub id and type from X-GitHub-Delivery and X-GitHub-Event', async () => {
			const signed = signGithub('{"zen": "Keep it logically awesome."}', GITHUB_SECRET);
			const config = stripeConfig({ scheme: signatureSchemes.github, secrets: [GITHUB_SECRET] });
			const { envelope } = expectAccepted(await deliver(incoming(signed), config));
			expect([envelope.id, envelope.type, envelope.scheme]).toEqual([
				'72d3162e-cc78-11e3-81ab-4c9367dc0958',
				'push',
				'github',
			]);
		});

		it('leaves occurredAt null when the scheme signs no time and the body has none (GitHub)', async () => {
			const signed = signGithub('{"zen": "Design for failure."}', GITHUB_SECRET);
			const config = stripeConfig({ scheme: signatureSchemes.github, secrets: [GITHUB_SECRET] });
			expect(
				expectAccepted(await deliver(incoming(signed), config)).envelope.occurredAt,
			).toBeNull();
		});

		it('takes the Standard Webhooks id from webhook-id and the time from webhook-timestamp', async () => {
			const body = '{"type": "user.created", "timestamp": "2020-01-01T00:00:00Z", "data": {}}';
			const signed = signStandardWebhooks(
				body,
				STANDARD_SECRET,
				'msg_p5jXN8AQM9LWM0D4loKWxJek',
				NOW_SECONDS - 10,
			);
			const config = stripeConfig({
				scheme: signatureSchemes.standardWebhooks,
				secrets: [STANDARD_SECRET],
			});
			const { envelope } = expectAccepted(await deliver(incoming(signed), config));
			expect([envelope.id, envelope.type, envelope.occurredAt]).toEqual([
				'msg_p5jXN8AQM9LWM0D4loKWxJek',
				'user.created',
				'2023-11-14T22:13:10.000Z',
			]);
		});

		it("takes Shopify's event id, not its per-attempt webhook id", async () => {
			const signed = signShopify('{"id": 820982911946154500}', SHOPIFY_SECRET);
			const config = stripeConfig({ scheme: signatureSchemes.shopify, secrets: [SHOPIFY_SECRET] });
			expect(expectAccepted(await deliver(incoming(signed), config)).eventId).toBe(
				'98880550-7158-44d4-b7cd-2c97c8a091b5',
			);
		});

		it('dates a Shopify event by X-Shopify-Triggered-At (Shopify signs no time)', async () => {
			const signed = signShopify('{"id": 820982911946154500}', SHOPIFY_SECRET);
			const config = stripeConfig({ scheme: signatureSchemes.shopify, secrets: [SHOPIFY_SECRET] });
			expect(expectAccepted(await deliver(incoming(signed), config)).envelope.occurredAt).toBe(
				'2023-11-14T22:13:20.123Z',
			);
		});

		it('carries no headers unless asked to', async () => {
			expect(expectAccepted(await deliver(stripeDelivery())).envelope).not.toHaveProperty(
				'headers',
			);
		});

		it('carries the headers with the signature redacted when includeHeaders is on', async () => {
			const decision = await deliver(stripeDelivery(), stripeConfig({ includeHeaders: true }));
			expect(expectAccepted(decision).envelope.headers).toEqual({
				'content-type': 'application/json; charset=utf-8',
				'stripe-signature': '[redacted]',
			});
		});

		it('passes with the previous secret during a rotation', async () => {
			const delivery = incoming(signStripe(STRIPE_BODY, PREVIOUS_STRIPE_SECRET));
			const config = stripeConfig({ secrets: [STRIPE_SECRET, PREVIOUS_STRIPE_SECRET] });
			expectAccepted(await deliver(delivery, config));
		});

		it('passes with a body of exactly the size limit', async () => {
			const config = stripeConfig({ maxBodyBytes: Buffer.byteLength(STRIPE_BODY) });
			expectAccepted(await deliver(stripeDelivery(), config));
		});

		it('parses a JSON body that starts with a UTF-8 byte order mark', async () => {
			const decision = await deliver(stripeDelivery(`\uFEFF${STRIPE_BODY}`));
			expect(expectAccepted(decision).envelope.data).toEqual(JSON.parse(STRIPE_BODY));
		});

		it('passes from an allowed address written as IPv4-mapped IPv6', async () => {
			const config = stripeConfig({ ipAllowlist: parseIpAllowlist('203.0.113.0/24') });
			expectAccepted(
				await deliver(stripeDelivery(STRIPE_BODY, { ip: '::ffff:203.0.113.7' }), config),
			);
		});
	});

	describe('custom HMAC', () => {
		const customHmac = {
			signatureHeader: 'X-Hook-Sig',
			algorithm: 'sha256' as const,
			encoding: 'hex' as const,
			signedPayloadTemplate: '{id}.{body}',
			idHeader: 'X-Delivery-Id',
		};
		const body = '{"event": "order.paid"}';
		const delivery = () =>
			incoming({
				body,
				headers: {
					'content-type': 'application/json',
					'x-delivery-id': 'dlv_42',
					'x-hook-sig': createHmac('sha256', CUSTOM_SECRET).update(`dlv_42.${body}`).digest('hex'),
				},
			});
		const config = (overrides: Partial<TestConfig> = {}) =>
			stripeConfig({
				scheme: customHmacScheme(customHmac),
				secrets: [CUSTOM_SECRET],
				...overrides,
			});

		it('uses the configured ID header as the event id', async () => {
			expect(expectAccepted(await deliver(delivery(), config())).eventId).toBe('dlv_42');
		});

		it('redacts the configured signature header even when its name says nothing', async () => {
			const decision = await deliver(delivery(), config({ includeHeaders: true }));
			expect(expectAccepted(decision).envelope.headers?.['x-hook-sig']).toBe('[redacted]');
		});
	});

	describe('deduplication', () => {
		it('answers a second delivery of the same event as a duplicate with its first-seen time', async () => {
			await deliver(stripeDelivery());
			storeNow += 60_000;
			expect(await deliver(stripeDelivery(STRIPE_BODY, { receivedAtMs: NOW_MS + 60_000 }))).toEqual(
				{
					outcome: 'duplicate',
					eventId: STRIPE_EVENT_ID,
					firstSeenAt: new Date(NOW_MS).toISOString(),
				},
			);
		});

		it('recognises a retry that the sender signed afresh (new timestamp, same event)', async () => {
			await deliver(stripeDelivery());
			const retry = incoming(signStripe(STRIPE_BODY, STRIPE_SECRET, NOW_SECONDS + 120), {
				receivedAtMs: NOW_MS + 120_000,
			});
			expect((await deliver(retry)).outcome).toBe('duplicate');
		});

		it('accepts the same id in another namespace', async () => {
			await deliver(stripeDelivery());
			const other = stripeConfig({ dedup: { namespace: 'webhook:refunds', windowMs: DAY_MS } });
			expectAccepted(await deliver(stripeDelivery(), other));
		});

		it('still answers a duplicate just before the window ends', async () => {
			await deliver(stripeDelivery());
			storeNow += DAY_MS - 1;
			expect((await deliver(stripeDelivery())).outcome).toBe('duplicate');
		});

		it('accepts the same id again once the window has passed', async () => {
			await deliver(stripeDelivery());
			storeNow += DAY_MS;
			expectAccepted(await deliver(stripeDelivery()));
		});

		it('takes the id from a configured header instead of the natural one', async () => {
			const signed = signStripe(STRIPE_BODY, STRIPE_SECRET);
			const delivery = incoming({
				...signed,
				headers: { ...signed.headers, 'x-request-id': 'req_9' },
			});
			const config = stripeConfig({
				dedup: {
					namespace: 'webhook:payments',
					windowMs: DAY_MS,
					idSource: { header: ['X-Request-Id'] },
				},
			});
			expect(expectAccepted(await deliver(delivery, config)).eventId).toBe('req_9');
		});

		it('takes the id from a configured body path instead of the natural one', async () => {
			const config = stripeConfig({
				dedup: {
					namespace: 'webhook:payments',
					windowMs: DAY_MS,
					idSource: { bodyPath: 'data.object.id' },
				},
			});
			expect(expectAccepted(await deliver(stripeDelivery(), config)).eventId).toBe('in_1');
		});

		it('hashes an event id too long to be a key, so the delivery is still deduplicated', async () => {
			const longId = 'x'.repeat(10_000);
			const config = stripeConfig({
				dedup: { namespace: 'webhook:payments', windowMs: DAY_MS, idSource: { bodyPath: 'ref' } },
			});
			const body = JSON.stringify({ id: 'evt_long', ref: longId });
			const first = expectAccepted(await deliver(stripeDelivery(body), config));
			expect(first.eventId).toBe(sha256Id(longId));
			expect((await deliver(stripeDelivery(body), config)).outcome).toBe('duplicate');
		});

		it('uses the SHA-256 of the raw body when the delivery carries no id', async () => {
			const body = '{"zen": "Anything added dilutes everything else."}';
			const signed = signGithub(body, GITHUB_SECRET, { 'x-github-event': 'ping' });
			const config = stripeConfig({ scheme: signatureSchemes.github, secrets: [GITHUB_SECRET] });
			expect(expectAccepted(await deliver(incoming(signed), config)).eventId).toBe(sha256Id(body));
		});

		it('uses the SHA-256 of the raw body when the configured id header is missing', async () => {
			const config = stripeConfig({
				dedup: {
					namespace: 'webhook:payments',
					windowMs: DAY_MS,
					idSource: { header: ['x-request-id'] },
				},
			});
			expect(expectAccepted(await deliver(stripeDelivery(), config)).eventId).toBe(
				sha256Id(STRIPE_BODY),
			);
		});

		it('answers an identical body without id as a duplicate', async () => {
			const body = '{"event": "meeting.started", "payload": {"object": {"id": "85746065"}}}';
			const config = stripeConfig({ scheme: signatureSchemes.zoom, secrets: [ZOOM_SECRET] });
			await deliver(incoming(signZoom(body, ZOOM_SECRET)), config);
			expect(
				(await deliver(incoming(signZoom(body, ZOOM_SECRET, NOW_SECONDS + 5)), config)).outcome,
			).toBe('duplicate');
		});

		it('accepts every copy and leaves the store alone when deduplication is off', async () => {
			const config = stripeConfig({ dedup: undefined });
			const decisions = [
				await deliver(stripeDelivery(), config),
				await deliver(stripeDelivery(), config),
			];
			expect([
				...decisions.map((decision) => decision.outcome),
				markSeen.mock.calls.length,
			]).toEqual(['accepted', 'accepted', 0]);
		});
	});

	describe('rejections', () => {
		it('answers 413 for a body over the limit, before the store is asked', async () => {
			const config = stripeConfig({ maxBodyBytes: Buffer.byteLength(STRIPE_BODY) - 1 });
			const rejection = expectRejected(
				await deliver(stripeDelivery(), config),
				413,
				'bodyTooLarge',
			);
			expect(rejection.message).toBe(
				`Request body is ${Buffer.byteLength(STRIPE_BODY)} bytes, the limit is ${Buffer.byteLength(STRIPE_BODY) - 1}`,
			);
		});

		it('answers 403 to a sender outside the IP allowlist', async () => {
			const config = stripeConfig({
				ipAllowlist: parseIpAllowlist('198.51.100.0/24, 2001:db8::/32'),
			});
			expectRejected(await deliver(stripeDelivery(), config), 403, 'ipNotAllowed');
		});

		it('answers 403 when the sender address is unknown and an allowlist is set', async () => {
			const config = stripeConfig({ ipAllowlist: parseIpAllowlist('0.0.0.0/0') });
			expectRejected(
				await deliver(stripeDelivery(STRIPE_BODY, { ip: undefined }), config),
				403,
				'ipNotAllowed',
			);
		});

		it('answers 429 with the seconds to wait once the per-minute limit is used', async () => {
			const config = stripeConfig({ rateLimitPerMinute: 2, dedup: undefined });
			const rateLimiter = new RateLimiter(() => limiterNow);
			await deliver(stripeDelivery(), config, { rateLimiter });
			await deliver(stripeDelivery(), config, { rateLimiter });
			const rejection = expectRejected(
				await deliver(stripeDelivery(), config, { rateLimiter }),
				429,
				'rateLimited',
			);
			expect(rejection.retryAfterSeconds).toBe(30);
		});

		it('lets deliveries through again once the rate limit refilled', async () => {
			const config = stripeConfig({ rateLimitPerMinute: 1, dedup: undefined });
			const rateLimiter = new RateLimiter(() => limiterNow);
			await deliver(stripeDelivery(), config, { rateLimiter });
			limiterNow += 60_000;
			expectAccepted(await deliver(stripeDelivery(), config, { rateLimiter }));
		});

		it('does not let unsigned deliveries use up the rate limit of the genuine sender', async () => {
			const config = stripeConfig({ rateLimitPerMinute: 1, dedup: undefined });
			const rateLimiter = new RateLimiter(() => limiterNow);
			const forged = incoming(signStripe(STRIPE_BODY, newSecret('whsec_')));
			for (let attempt = 0; attempt < 5; attempt++) {
				expectRejected(await deliver(forged, config, { rateLimiter }), 401, 'signatureInvalid');
			}
			expectAccepted(await deliver(stripeDelivery(), config, { rateLimiter }));
		});

		it('answers 500 misconfigured, not 401, when no secret is configured (the sender retries)', async () => {
			const rejection = expectRejected(
				await deliver(stripeDelivery(), stripeConfig({ secrets: [] })),
				500,
				'misconfigured',
			);
			expect(rejection.logDetail).toBeDefined();
		});

		it('answers 401 signatureInvalid to a delivery signed with another secret', async () => {
			const delivery = incoming(signStripe(STRIPE_BODY, newSecret('whsec_')));
			const rejection = expectRejected(await deliver(delivery), 401, 'signatureInvalid');
			expect(rejection.message).toBe('No signature matched');
		});

		it('answers 401 signatureInvalid to a body changed after signing', async () => {
			const signed = signStripe(STRIPE_BODY, STRIPE_SECRET);
			const tampered = incoming({ ...signed, body: STRIPE_BODY.replace('4200', '1') });
			expectRejected(await deliver(tampered), 401, 'signatureInvalid');
		});

		it('answers 401 signatureInvalid, naming the header, when the signature header is missing', async () => {
			const unsigned = incoming({
				body: STRIPE_BODY,
				headers: { 'content-type': 'application/json' },
			});
			const rejection = expectRejected(await deliver(unsigned), 401, 'signatureInvalid');
			expect(rejection.message).toBe('Missing required header "stripe-signature"');
		});

		it('answers 401 timestampOutOfTolerance, readably, to a stale signed timestamp', async () => {
			const stale = incoming(
				signStripe(STRIPE_BODY, STRIPE_SECRET, NOW_SECONDS - TOLERANCE_SECONDS - 1),
			);
			const rejection = expectRejected(await deliver(stale), 401, 'timestampOutOfTolerance');
			expect(rejection.message).toBe('Message timestamp too old (301 s > 300 s tolerance)');
		});

		it('answers 401 timestampOutOfTolerance to a signed timestamp from the future', async () => {
			const future = incoming(
				signStripe(STRIPE_BODY, STRIPE_SECRET, NOW_SECONDS + TOLERANCE_SECONDS + 60),
			);
			const rejection = expectRejected(await deliver(future), 401, 'timestampOutOfTolerance');
			expect(rejection.message).toMatch(/^Message timestamp too far in the future/);
		});

		it('answers 400 bodyUnparseable to malformed JSON with a valid signature', async () => {
			const rejection = expectRejected(
				await deliver(stripeDelivery('{"id": "evt_1",}')),
				400,
				'bodyUnparseable',
			);
			expect(rejection.message).toMatch(/^Request body is not valid JSON: /);
		});

		it('answers 400 bodyUnparseable to an empty body with a valid signature', async () => {
			const rejection = expectRejected(await deliver(stripeDelivery('')), 400, 'bodyUnparseable');
			expect(rejection.message).toBe('Request body is empty, expected JSON');
		});
	});

	describe('Zoom endpoint.url_validation', () => {
		const PLAIN_TOKEN = 'qgg8vlvZRS6UYooatFL8Aw';
		const VALIDATION_BODY = `{"payload": {"plainToken": "${PLAIN_TOKEN}"}, "event_ts": 1699999999000, "event": "endpoint.url_validation"}`;
		const zoomConfig = (secrets = [ZOOM_SECRET]) =>
			stripeConfig({ scheme: signatureSchemes.zoom, secrets });
		const encrypted = (secret: string) =>
			createHmac('sha256', secret).update(PLAIN_TOKEN).digest('hex');

		it('answers a signed challenge with the HMAC-SHA256 hex of plainToken under the secret', async () => {
			const decision = await deliver(
				incoming(signZoom(VALIDATION_BODY, ZOOM_SECRET)),
				zoomConfig(),
			);
			expect(decision).toEqual({
				outcome: 'challenge',
				response: { plainToken: PLAIN_TOKEN, encryptedToken: encrypted(ZOOM_SECRET) },
			});
		});

		it('does not record the challenge in the store', async () => {
			await deliver(incoming(signZoom(VALIDATION_BODY, ZOOM_SECRET)), zoomConfig());
			expect(markSeen).not.toHaveBeenCalled();
		});

		it('answers with the secret that signed it when that is the previous one (rotation)', async () => {
			const delivery = incoming(signZoom(VALIDATION_BODY, PREVIOUS_ZOOM_SECRET));
			const decision = await deliver(delivery, zoomConfig([ZOOM_SECRET, PREVIOUS_ZOOM_SECRET]));
			expect(decision).toEqual({
				outcome: 'challenge',
				response: { plainToken: PLAIN_TOKEN, encryptedToken: encrypted(PREVIOUS_ZOOM_SECRET) },
			});
		});

		it('answers 401, not the challenge, when signed with another secret (no HMAC oracle)', async () => {
			const delivery = incoming(signZoom(VALIDATION_BODY, newSecret()));
			expectRejected(await deliver(delivery, zoomConfig()), 401, 'signatureInvalid');
		});

		it('answers 401, not the challenge, when unsigned', async () => {
			const unsigned = incoming({
				body: VALIDATION_BODY,
				headers: { 'content-type': 'application/json' },
			});
			expectRejected(await deliver(unsigned, zoomConfig()), 401, 'signatureInvalid');
		});

		it('answers 401, not the challenge, to a replayed challenge past the tolerance', async () => {
			const replayed = incoming(
				signZoom(VALIDATION_BODY, ZOOM_SECRET, NOW_SECONDS - TOLERANCE_SECONDS - 1),
			);
			expectRejected(await deliver(replayed, zoomConfig()), 401, 'timestampOutOfTolerance');
		});

		it('accepts an ordinary Zoom event as an event, typed by its "event" field', async () => {
			const body =
				'{"event": "meeting.started", "event_ts": 1699999999000, "payload": {"object": {"id": "85746065"}}}';
			const decision = await deliver(incoming(signZoom(body, ZOOM_SECRET)), zoomConfig());
			expect(expectAccepted(decision).envelope.type).toBe('meeting.started');
		});
	});

	describe('an unavailable store', () => {
		const brokenStore = () => {
			const failing = new EmbeddedStore({ path: freshPath() });
			const spy = jest
				.spyOn(failing, 'markSeen')
				.mockRejectedValue(new StoreError('connect ECONNREFUSED 10.0.0.5:6379', 'unreachable'));
			return { failing, spy };
		};

		it('answers 503 storeUnavailable with a retry time and the cause for the log only', async () => {
			const { failing } = brokenStore();
			const rejection = expectRejected(
				await deliver(stripeDelivery(), stripeConfig(), { store: failing }),
				503,
				'storeUnavailable',
			);
			await failing.close();
			expect(rejection).toEqual({
				outcome: 'rejected',
				status: 503,
				reason: 'storeUnavailable',
				message: 'Deduplication store is unavailable, retry later',
				retryAfterSeconds: 30,
				logDetail: 'connect ECONNREFUSED 10.0.0.5:6379',
			});
		});

		it('accepts nothing while the store fails, so the retry is processed once it is back', async () => {
			const { failing, spy } = brokenStore();
			const first = await deliver(stripeDelivery(), stripeConfig(), { store: failing });
			spy.mockRestore();
			const retry = await deliver(stripeDelivery(), stripeConfig(), { store: failing });
			await failing.close();
			expect([first.outcome, retry.outcome]).toEqual(['rejected', 'accepted']);
		});

		it('reports a store failure that is not an Error in the log detail', async () => {
			const { failing } = brokenStore();
			jest.spyOn(failing, 'markSeen').mockRejectedValue('socket hang up');
			const rejection = expectRejected(
				await deliver(stripeDelivery(), stripeConfig(), { store: failing }),
				503,
				'storeUnavailable',
			);
			await failing.close();
			expect(rejection.logDetail).toBe('socket hang up');
		});
	});

	describe('concurrent copies', () => {
		it('accepts exactly one of 10 identical deliveries arriving at once', async () => {
			const decisions = await Promise.all(
				Array.from({ length: 10 }, () => deliver(stripeDelivery())),
			);
			const outcomes = decisions.map((decision) => decision.outcome);
			expect([
				outcomes.filter((o) => o === 'accepted').length,
				outcomes.filter((o) => o === 'duplicate').length,
			]).toEqual([1, 9]);
		});

		it('accepts exactly one of 10 when two n8n processes share the store file', async () => {
			const path = freshPath();
			const stores = [new EmbeddedStore({ path }), new EmbeddedStore({ path })];
			const decisions = await Promise.all(
				Array.from({ length: 10 }, (_, index) =>
					deliver(stripeDelivery(), stripeConfig(), { store: stores[index % 2] }),
				),
			);
			await Promise.all(stores.map((each) => each.close()));
			expect(decisions.filter((decision) => decision.outcome === 'accepted')).toHaveLength(1);
		});
	});
});
