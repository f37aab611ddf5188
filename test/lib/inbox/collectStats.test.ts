import { collectStats } from '../../../lib/inbox/collectStats';
import { recoverStuck } from '../../../lib/inbox/recoverStuck';
import { CLAIM, LEASE_MS, NAMESPACE, useInboxStore } from './inboxStore';

describe('collectStats on a real embedded store', () => {
	const inbox = useInboxStore();

	it('reports states, stuck claims, crashes, deliveries and the last sweep in one item', async () => {
		await inbox.keep('evt_done', 'evt_stuck', 'evt_lost');
		await inbox.keep('evt_done');
		await inbox.claim('evt_done', 'evt_stuck');
		await inbox.complete('evt_done');
		inbox.time().advance(LEASE_MS);
		await inbox.store().inbox.recordRejection(
			NAMESPACE,
			{
				path: 'stripe-events',
				scheme: 'stripe',
				reason: 'signatureMismatch',
				status: 401,
				at: inbox.time().now(),
				headers: {},
				bodyPrefix: '',
				sourceIp: null,
			},
			{ retentionMs: 86_400_000, maxEntries: 100 },
		);
		await recoverStuck(inbox.store(), NAMESPACE, {
			window: { graceMs: 0, lookBackMs: 3_600_000 },
			limit: 2,
			claim: CLAIM,
			now: inbox.time().now,
		});
		await inbox
			.store()
			.cursors.write('erp:poll:', { value: inbox.time().now() - 5_000, seenIds: [] });

		const stats = await collectStats(inbox.store(), NAMESPACE, {
			cursorKeys: ['erp:poll:'],
			now: inbox.time().now,
		});
		expect(stats).toMatchObject({
			namespace: NAMESPACE,
			keys: { completed: 1, inProgress: 2, released: 0, deadLetter: 0, total: 3 },
			stuck: 0,
			crashes: { lastHour: 1, lastDay: 1 },
			deliveries: {
				lastHour: {
					accepted: 3,
					duplicate: 1,
					rejected: 1,
					rejectedByReason: { signatureMismatch: 1 },
				},
			},
			lastSweep: { examined: 3, recovered: 2 },
			evictions: 0,
			cursorLag: { 'erp:poll:': { lagSeconds: 5 } },
		});
	});
});
