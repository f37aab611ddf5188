import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { InboxEvent } from '../../../lib/store/DeliveryInbox';
import { EmbeddedStore } from '../../../lib/store/EmbeddedStore';
import type { Clock, IdempotencyStore } from '../../../lib/store/IdempotencyStore';
import { PostgresStore } from '../../../lib/store/PostgresStore';
import { RedisStore } from '../../../lib/store/RedisStore';
import {
	type PostgresConnection,
	type RedisConnection,
	type RunningService,
	SERVICE_START_TIMEOUT_MS,
	startService,
} from '../store/services';
import { type TestClock, testClock } from '../store/storeContract';

export const LEASE_MS = 60_000;
export const CLAIM = {
	leaseMs: LEASE_MS,
	maxAttempts: 3,
	deadLetterRetentionMs: 30 * 86_400_000,
};
const BOUNDS = { retentionMs: 7 * 86_400_000, maxEntries: 100_000 };

export type InboxFixture = ReturnType<typeof useInboxStore>;

/**
 * The inbox core's tests, once per real backend (embedded file, Redis, PostgreSQL servers started
 * for the file): the core uses only the store port, so it must behave the same on each.
 */
export function describeOnEveryStore(title: string, body: (inbox: InboxFixture) => void): void {
	let redis: RunningService<RedisConnection> | undefined;
	let postgres: RunningService<PostgresConnection> | undefined;
	beforeAll(async () => {
		[redis, postgres] = await Promise.all([startService('redis'), startService('postgres')]);
	}, SERVICE_START_TIMEOUT_MS);
	afterAll(async () => {
		await Promise.all([redis?.stop(), postgres?.stop()]);
	});
	const backends: Record<string, (clock: Clock, folder: string) => IdempotencyStore> = {
		embedded: (clock, folder) => new EmbeddedStore({ path: join(folder, 'store.sqlite'), clock }),
		redis: (clock) => new RedisStore({ ...redis!.connection, clock }),
		postgres: (clock) => new PostgresStore({ ...postgres!.connection, clock }),
	};
	describe.each(Object.keys(backends))(`${title} (%s store)`, (backend) => {
		body(useInboxStore(backends[backend]));
	});
}

/** A store on a test clock and a namespace of its own for every test, with helpers to fill its inbox. */
function useInboxStore(makeStore: (clock: Clock, folder: string) => IdempotencyStore) {
	const state = {} as {
		folder: string;
		store: IdempotencyStore;
		time: TestClock;
		namespace: string;
	};
	beforeEach(() => {
		state.folder = mkdtempSync(join(tmpdir(), 'inbox-core-'));
		state.time = testClock();
		state.store = makeStore(state.time.clock, state.folder);
		state.namespace = `webhook:stripe-${randomUUID()}`;
	});
	afterEach(async () => {
		await state.store.close();
		rmSync(state.folder, { recursive: true, force: true });
	});
	return {
		store: () => state.store,
		time: () => state.time,
		namespace: () => state.namespace,
		/** Keeps one delivery per event id, now, as the trigger does before its 2xx. */
		keep: async (...eventIds: string[]) => {
			for (const eventId of eventIds) {
				await state.store.inbox.keep(
					state.namespace,
					{
						rawBody: Buffer.from(`{"id":"${eventId}"}`),
						events: [event(eventId)],
						receivedAt: state.time.now(),
					},
					BOUNDS,
				);
			}
		},
		/** Claims the events as the trigger does right after keeping them; answers the tokens. */
		claim: async (...eventIds: string[]) =>
			(
				await state.store.claim(
					state.namespace,
					eventIds.map((key) => ({ key })),
					CLAIM,
				)
			).map((outcome) => outcome.record.token),
		complete: async (...eventIds: string[]) => {
			await state.store.complete(
				state.namespace,
				eventIds.map((key) => ({ key })),
				{ retentionMs: 7 * 86_400_000 },
			);
		},
		release: async (...eventIds: string[]) =>
			await state.store.release(state.namespace, eventIds, {
				maxAttempts: CLAIM.maxAttempts,
				deadLetterRetentionMs: CLAIM.deadLetterRetentionMs,
			}),
	};
}

const event = (eventId: string, eventType = 'invoice.paid'): InboxEvent => ({
	eventId,
	eventType,
	scheme: 'stripe',
	path: 'stripe-events',
	envelope: { id: eventId, type: eventType, source: 'webhook', data: { amount: 100 } },
	headers: { 'content-type': 'application/json' },
});
