import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { signatureSchemes } from '../../../lib/signatures';
import { EmbeddedStore } from '../../../lib/store/EmbeddedStore';
import { type Clock, type IdempotencyStore, StoreError } from '../../../lib/store/IdempotencyStore';
import { PostgresStore } from '../../../lib/store/PostgresStore';
import { RedisStore } from '../../../lib/store/RedisStore';
import {
	type DeliveryConfig,
	type DeliveryDecision,
	handleDelivery,
	type IncomingDelivery,
} from '../../../lib/webhook/handleDelivery';
import { httpAnswer } from '../../../lib/webhook/httpAnswer';
import type { InboxConfig, KeptDelivery } from '../../../lib/webhook/inboxDelivery';
import { RateLimiter } from '../../../lib/webhook/rateLimiter';
import {
	type PostgresConnection,
	type RedisConnection,
	type RunningService,
	SERVICE_START_TIMEOUT_MS,
	startService,
} from '../store/services';
import { incoming, newSecret, NOW_MS, signHubspot, signStripe } from './signedDeliveries';

/**
 * Inbox mode of handleDelivery on each real store backend: each verified event is kept and claimed
 * before the answer is decided; repeats are told apart by the state of their claim.
 */

const MINUTE_MS = 60_000;
const STRIPE_SECRET = newSecret('whsec_');
const HUBSPOT_SECRET = newSecret();

const folder = mkdtempSync(join(tmpdir(), 'hybrid-sync-inbox-delivery-'));
let fileNumber = 0;
let redis: RunningService<RedisConnection>;
let postgres: RunningService<PostgresConnection>;
beforeAll(async () => {
	[redis, postgres] = await Promise.all([startService('redis'), startService('postgres')]);
}, SERVICE_START_TIMEOUT_MS);
afterAll(async () => {
	rmSync(folder, { recursive: true, force: true });
	await Promise.all([redis?.stop(), postgres?.stop()]);
});

const backends: Array<{ backend: string; open: (clock: Clock) => IdempotencyStore }> = [
	{
		backend: 'embedded',
		open: (clock) =>
			new EmbeddedStore({ path: join(folder, `store-${++fileNumber}.sqlite`), clock }),
	},
	{ backend: 'redis', open: (clock) => new RedisStore({ ...redis.connection, clock }) },
	{ backend: 'postgres', open: (clock) => new PostgresStore({ ...postgres.connection, clock }) },
];

/** The store's clock, moved by the tests (leases, receipts). */
let storeNow: number;
let store: IdempotencyStore;
/** One per test: the Redis and PostgreSQL servers are shared by every test of the file. */
let namespace: string;
let namespaceNumber = 0;

const inbox = (overrides: Partial<InboxConfig> = {}): InboxConfig => ({
	namespace,
	path: 'payments',
	leaseMs: 5 * MINUTE_MS,
	maxAttempts: 2,
	deadLetterRetentionMs: 30 * 86_400_000,
	bounds: { retentionMs: 7 * 86_400_000, maxEntries: 1000 },
	whileInProgress: 'conflict',
	...overrides,
});

const config = (overrides: Partial<DeliveryConfig> = {}): DeliveryConfig => ({
	scheme: signatureSchemes.stripe,
	toleranceSeconds: 300,
	maxBodyBytes: 1024 * 1024,
	bodyFormat: 'auto',
	rateLimitPerMinute: 0,
	rateLimitKey: 'workflow-1:node-1',
	inbox: inbox(),
	includeHeaders: false,
	...overrides,
});

const deliver = async (
	delivery: IncomingDelivery,
	deliveryConfig = config(),
	secrets = [STRIPE_SECRET],
	opened: () => Promise<IdempotencyStore> = async () => store,
) =>
	await handleDelivery(delivery, deliveryConfig, {
		secrets: async () => secrets,
		store: opened,
		rateLimiter: new RateLimiter(() => NOW_MS),
	});

/** Unicode on purpose: the raw bytes must come back from the inbox exactly as received. */
const stripeBody = (id: string, amount = 4200) =>
	`{"id": "${id}", "object": "event", "type": "invoice.paid", "data": {"object": {"customer_name": "Zoë Łukasiewicz 🧾", "amount": ${amount}}}}`;
/** Signed when it is received, as a sender's retry is signed afresh. */
const stripeDelivery = (id = 'evt_1', receivedAtMs = storeNow, amount?: number) =>
	incoming(signStripe(stripeBody(id, amount), STRIPE_SECRET, Math.floor(receivedAtMs / 1000)), {
		receivedAtMs,
	});
/** Paths into the item the run receives, as a user types them: the body is under `data`. */
const withFingerprint = () =>
	config({ inbox: inbox({ fingerprintFields: ['data.data.object.amount'] }) });

function expectKept(decision: DeliveryDecision): KeptDelivery {
	expect(decision.outcome).toBe('kept');
	return decision as KeptDelivery;
}

const claimedToken = (decision: DeliveryDecision) =>
	expectKept(decision).claimed[0].idempotency?.token as string;

describe.each(backends)('handleDelivery in inbox mode ($backend store)', ({ open }) => {
	beforeEach(() => {
		storeNow = NOW_MS;
		namespace = `webhook:payments-${++namespaceNumber}`;
		store = open(() => storeNow);
	});
	afterEach(async () => store.close());

	it('keeps the exact raw bytes and redacted headers, then claims the event for the run', async () => {
		const delivery = stripeDelivery();
		const decision = expectKept(await deliver(delivery));

		expect(decision.claimed.map(({ eventId }) => eventId)).toEqual(['evt_1']);
		expect(decision.claimed[0].idempotency).toMatchObject({
			status: 'claimed',
			key: 'evt_1',
			namespace,
			state: 'inProgress',
			token: expect.any(String),
			attempts: 1,
		});
		const [entry] = await store.inbox.get(namespace, ['evt_1']);
		expect(entry?.rawBody?.equals(delivery.rawBody)).toBe(true);
		expect(entry).toMatchObject({
			eventType: 'invoice.paid',
			scheme: 'stripe',
			path: 'payments',
			receipts: 1,
			headers: { 'stripe-signature': '[redacted]' },
		});
		expect(JSON.stringify(entry?.headers)).not.toContain('v1=');
	});

	it('keeps the envelope the run receives, without the claim', async () => {
		const decision = expectKept(await deliver(stripeDelivery()));
		const [entry] = await store.inbox.get(namespace, ['evt_1']);
		expect(entry?.envelope).toEqual(decision.claimed[0].envelope);
	});

	it('answers a repeat while the run holds the claim as in progress, with the seconds left on the lease', async () => {
		await deliver(stripeDelivery());
		storeNow += MINUTE_MS;
		const repeat = expectKept(await deliver(stripeDelivery('evt_1', storeNow)));
		const [entry] = await store.inbox.get(namespace, ['evt_1']);
		expect([
			repeat.claimed,
			repeat.repeats[0].state,
			repeat.retryAfterSeconds,
			entry?.receipts,
		]).toEqual([[], 'inProgress', 240, 2]);
	});

	it('answers a repeat of a completed event as completed, claiming nothing', async () => {
		const token = claimedToken(await deliver(stripeDelivery()));
		await store.complete(namespace, [{ key: 'evt_1', token }], { retentionMs: 86_400_000 });
		const repeat = expectKept(await deliver(stripeDelivery()));
		expect([repeat.claimed, repeat.repeats.map(({ state }) => state)]).toEqual([[], ['completed']]);
	});

	it('claims a released event again: the retry runs it', async () => {
		const token = claimedToken(await deliver(stripeDelivery()));
		await store.release(namespace, [{ key: 'evt_1', token }], {
			maxAttempts: 2,
			deadLetterRetentionMs: 86_400_000,
		});
		const retry = expectKept(await deliver(stripeDelivery()));
		expect(retry.claimed[0].idempotency).toMatchObject({
			status: 'claimed',
			attempts: 2,
			releases: 1,
		});
	});

	it('claims an event whose run never finished once its lease ran out, counting the crash', async () => {
		await deliver(stripeDelivery());
		storeNow += 5 * MINUTE_MS + 1;
		const retry = expectKept(await deliver(stripeDelivery('evt_1', storeNow)));
		expect(retry.claimed[0].idempotency).toMatchObject({ attempts: 2, crashes: 1 });
	});

	it('answers dead letter, claiming nothing, once the event used Max Attempts', async () => {
		for (let attempt = 0; attempt < 2; attempt++) {
			const token = claimedToken(await deliver(stripeDelivery()));
			await store.release(namespace, [{ key: 'evt_1', token }], {
				maxAttempts: 2,
				deadLetterRetentionMs: 86_400_000,
			});
		}
		const repeat = expectKept(await deliver(stripeDelivery()));
		expect([repeat.claimed, repeat.repeats.map(({ state }) => state)]).toEqual([
			[],
			['deadLetter'],
		]);
	});

	it('starts a run for a delivery whose fingerprinted fields differ under a claimed event id: marked mismatch, no token, answered 200', async () => {
		await deliver(stripeDelivery('evt_1', storeNow, 4200), withFingerprint());
		const reused = await deliver(stripeDelivery('evt_1', storeNow, 1), withFingerprint());
		const kept = expectKept(reused);
		expect(kept.claimed[0].idempotency).toMatchObject({
			status: 'mismatch',
			key: 'evt_1',
			state: 'inProgress',
		});
		expect(kept.claimed[0].idempotency).not.toHaveProperty('token');
		expect(kept.claimed[0].envelope.data).toMatchObject({ data: { object: { amount: 1 } } });
		expect(httpAnswer(reused)).toMatchObject({
			status: 200,
			body: { received: true, id: 'evt_1' },
		});
	});

	it('judges a mismatch against a completed event too, not as a duplicate', async () => {
		const token = claimedToken(await deliver(stripeDelivery(), withFingerprint()));
		await store.complete(namespace, [{ key: 'evt_1', token }], { retentionMs: 86_400_000 });
		const reused = expectKept(
			await deliver(stripeDelivery('evt_1', storeNow, 1), withFingerprint()),
		);
		expect([reused.repeats, reused.claimed[0].idempotency?.status]).toEqual([[], 'mismatch']);
	});

	it('answers a repeat with the same fingerprinted fields as any repeat', async () => {
		await deliver(stripeDelivery(), withFingerprint());
		const repeat = expectKept(await deliver(stripeDelivery(), withFingerprint()));
		expect([repeat.claimed, repeat.repeats.map(({ state }) => state)]).toEqual([
			[],
			['inProgress'],
		]);
	});

	it('claims each event of a HubSpot batch on its own; the run gets only the claimed ones', async () => {
		const url = 'https://n8n.example.com/webhook/hubspot';
		const batch = (ids: number[]) =>
			JSON.stringify(
				ids.map((eventId) => ({
					eventId,
					subscriptionType: 'contact.creation',
					objectId: eventId,
				})),
			);
		const send = async (ids: number[]) =>
			expectKept(
				await deliver(
					incoming(signHubspot(batch(ids), HUBSPOT_SECRET, url), { url }),
					config({ scheme: signatureSchemes.hubspot }),
					[HUBSPOT_SECRET],
				),
			);
		const first = await send([1001, 1002]);
		await store.complete(
			namespace,
			first.claimed.map(({ eventId, idempotency }) => ({
				key: eventId,
				token: idempotency?.token,
			})),
			{ retentionMs: 86_400_000 },
		);
		const second = await send([1002, 1003]);
		expect([
			first.batch,
			second.claimed.map(({ eventId }) => eventId),
			second.repeats.map(({ eventId, state }) => [eventId, state]),
		]).toEqual([true, ['1003'], [['1002', 'completed']]]);
	});

	it('answers 503 and acknowledges nothing when the store is down', async () => {
		const down = async () => {
			throw new StoreError('connect ECONNREFUSED 10.0.0.5:6379', 'unreachable');
		};
		expect(await deliver(stripeDelivery(), config(), [STRIPE_SECRET], down)).toEqual({
			outcome: 'rejected',
			status: 503,
			reason: 'storeUnavailable',
			message: 'Inbox store is unavailable, retry later',
			retryAfterSeconds: 30,
			logDetail: 'connect ECONNREFUSED 10.0.0.5:6379',
		});
	});

	it('logs a refused delivery apart: reason, redacted headers, the body start, the address; never the secret or signature', async () => {
		const forged = signStripe(stripeBody('evt_forged'), newSecret('whsec_'));
		const decision = await deliver(incoming(forged));
		const [rejection] = await store.inbox.rejections(namespace, { limit: 10 });

		expect(decision).toMatchObject({ outcome: 'rejected', status: 401 });
		expect(rejection).toEqual({
			path: 'payments',
			scheme: 'stripe',
			reason: 'signatureInvalid',
			status: 401,
			at: NOW_MS,
			headers: {
				'content-type': 'application/json; charset=utf-8',
				'stripe-signature': '[redacted]',
			},
			bodyPrefix: stripeBody('evt_forged'),
			sourceIp: '203.0.113.7',
		});
		const stored = JSON.stringify(rejection);
		expect(stored).not.toContain(STRIPE_SECRET);
		expect(stored).not.toContain(forged.headers['stripe-signature'] as string);
		expect(await store.inbox.get(namespace, ['evt_forged'])).toEqual([undefined]);
	});

	it('logs only the first 2 KB of a refused body', async () => {
		const body = stripeBody('x'.repeat(5000));
		await deliver(incoming(signStripe(body, newSecret('whsec_'))));
		const [rejection] = await store.inbox.rejections(namespace, { limit: 1 });
		expect(rejection.bodyPrefix).toBe(body.slice(0, 2048));
	});

	it('logs a body n8n could not read, as the rejection it was answered with', async () => {
		const readFailure = {
			outcome: 'rejected' as const,
			status: 413 as const,
			reason: 'bodyTooLarge' as const,
			message: 'Request body is larger than the limit of 1024 bytes',
		};
		const decision = await deliver(incoming({ body: '', headers: {} }, { readFailure }));
		const [rejection] = await store.inbox.rejections(namespace, { limit: 1 });
		expect([decision, rejection.reason, rejection.status]).toEqual([
			readFailure,
			'bodyTooLarge',
			413,
		]);
	});

	it('still answers the rejection when the log cannot be written, saying so in the log detail', async () => {
		jest
			.spyOn(store.inbox, 'recordRejection')
			.mockRejectedValue(new StoreError('disk I/O error', 'backendFailure'));
		const decision = await deliver(incoming(signStripe(stripeBody('evt_2'), newSecret('whsec_'))));
		expect(decision).toMatchObject({
			outcome: 'rejected',
			status: 401,
			logDetail: 'not written to the rejection log: disk I/O error',
		});
	});

	it('does not log deliveries when the store is the failure', async () => {
		const recorded = jest.spyOn(store.inbox, 'recordRejection');
		jest.spyOn(store.inbox, 'keep').mockRejectedValue(new StoreError('locked', 'backendFailure'));
		const decision = await deliver(stripeDelivery());
		expect([decision.outcome, recorded.mock.calls.length]).toEqual(['rejected', 0]);
	});
});
