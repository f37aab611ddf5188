import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EmbeddedStore } from '../../../lib/store/EmbeddedStore';
import type { InboxEvent } from '../../../lib/store/DeliveryInbox';
import { type TestClock, testClock } from '../store/storeContract';

export const NAMESPACE = 'webhook:stripe-events';
export const LEASE_MS = 60_000;
export const CLAIM = { leaseMs: LEASE_MS, maxAttempts: 3, deadLetterRetentionMs: 30 * 86_400_000 };
const BOUNDS = { retentionMs: 7 * 86_400_000, maxEntries: 100_000 };

/** A real embedded store on a test clock, fresh for every test, with helpers to fill its inbox. */
export function useInboxStore() {
	const state = {} as { folder: string; store: EmbeddedStore; time: TestClock };
	beforeEach(() => {
		state.folder = mkdtempSync(join(tmpdir(), 'inbox-core-'));
		state.time = testClock();
		state.store = new EmbeddedStore({
			path: join(state.folder, 'store.sqlite'),
			clock: state.time.clock,
		});
	});
	afterEach(async () => {
		await state.store.close();
		rmSync(state.folder, { recursive: true, force: true });
	});
	return {
		store: () => state.store,
		time: () => state.time,
		/** Keeps one delivery per event id, now, as the trigger does before its 2xx. */
		keep: async (...eventIds: string[]) => {
			for (const eventId of eventIds) {
				await state.store.inbox.keep(
					NAMESPACE,
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
					NAMESPACE,
					eventIds.map((key) => ({ key })),
					CLAIM,
				)
			).map((outcome) => outcome.record.token),
		complete: async (...eventIds: string[]) => {
			await state.store.complete(
				NAMESPACE,
				eventIds.map((key) => ({ key })),
				{ retentionMs: 7 * 86_400_000 },
			);
		},
		release: async (...eventIds: string[]) =>
			await state.store.release(NAMESPACE, eventIds, {
				maxAttempts: CLAIM.maxAttempts,
				deadLetterRetentionMs: CLAIM.deadLetterRetentionMs,
			}),
	};
}

export const event = (eventId: string, eventType = 'invoice.paid'): InboxEvent => ({
	eventId,
	eventType,
	scheme: 'stripe',
	path: 'stripe-events',
	envelope: { id: eventId, type: eventType, source: 'webhook', data: { amount: 100 } },
	headers: { 'content-type': 'application/json' },
});
