import { recoverStuck } from '../../../lib/inbox/recoverStuck';
import { sweepSummaryKey } from '../../../lib/inbox/sweepSummary';
import { CLAIM, LEASE_MS, NAMESPACE, useInboxStore } from './inboxStore';

const MINUTE = 60_000;
const WINDOW = { graceMs: 2 * MINUTE, lookBackMs: 24 * 60 * MINUTE };

describe('recoverStuck on a real embedded store', () => {
	const inbox = useInboxStore();
	const sweep = async (limit = 1000) =>
		await recoverStuck(inbox.store(), NAMESPACE, {
			window: WINDOW,
			limit,
			claim: CLAIM,
			now: inbox.time().now,
		});
	const ids = (claims: Array<{ entry: { eventId: string } }>) => claims.map((c) => c.entry.eventId);

	it('claims a delivery kept but never claimed, and emits it with a fresh token', async () => {
		await inbox.keep('evt_kept');
		inbox.time().advance(WINDOW.graceMs);
		const { recovered } = await sweep();
		expect(ids(recovered)).toEqual(['evt_kept']);
		expect(recovered[0].record).toMatchObject({ state: 'inProgress', attempts: 1 });
		expect(recovered[0].record.token).toEqual(expect.any(String));
	});

	it('leaves a delivery inside the grace period', async () => {
		await inbox.keep('evt_new');
		inbox.time().advance(WINDOW.graceMs - 1);
		expect(ids((await sweep()).recovered)).toEqual([]);
	});

	it('takes over a claim whose lease ran out, counting the crash', async () => {
		await inbox.keep('evt_crashed');
		await inbox.claim('evt_crashed');
		inbox.time().advance(Math.max(LEASE_MS, WINDOW.graceMs));
		const { recovered } = await sweep();
		expect(recovered[0].record).toMatchObject({ key: 'evt_crashed', attempts: 2, crashes: 1 });
	});

	it('leaves completed events, live claims and dead letters alone', async () => {
		await inbox.keep('evt_done', 'evt_running', 'evt_dead');
		await inbox.claim('evt_done', 'evt_dead');
		await inbox.complete('evt_done');
		for (let attempt = 1; attempt < CLAIM.maxAttempts; attempt++) {
			await inbox.release('evt_dead');
			await inbox.claim('evt_dead');
		}
		await inbox.release('evt_dead');
		inbox.time().advance(WINDOW.graceMs);
		await inbox.claim('evt_running');
		expect(ids((await sweep()).recovered)).toEqual([]);
	});

	it('recovers a released event once: a second sweep finds it held', async () => {
		await inbox.keep('evt_failed');
		await inbox.claim('evt_failed');
		await inbox.release('evt_failed');
		inbox.time().advance(WINDOW.graceMs);
		expect(ids((await sweep()).recovered)).toEqual(['evt_failed']);
		expect(ids((await sweep()).recovered)).toEqual([]);
	});

	it('dead-letters an event whose last attempt crashed, and reports it apart', async () => {
		await inbox.keep('evt_poison');
		for (let attempt = 1; attempt <= CLAIM.maxAttempts; attempt++) {
			await inbox.claim('evt_poison');
			inbox.time().advance(LEASE_MS);
		}
		const { recovered, deadLettered } = await sweep();
		expect([ids(recovered), ids(deadLettered)]).toEqual([[], ['evt_poison']]);
		expect(deadLettered[0].record).toMatchObject({ state: 'deadLetter', crashes: 3 });
	});

	it('stops at the limit; the next sweep goes on with the rest', async () => {
		await inbox.keep('evt_1', 'evt_2', 'evt_3');
		inbox.time().advance(WINDOW.graceMs);
		expect(ids((await sweep(2)).recovered)).toEqual(['evt_1', 'evt_2']);
		expect(ids((await sweep(2)).recovered)).toEqual(['evt_3']);
	});

	it('does not look past the look-back', async () => {
		await inbox.keep('evt_old');
		inbox.time().advance(WINDOW.lookBackMs + 1);
		expect(ids((await sweep()).recovered)).toEqual([]);
	});

	it('keeps its summary in the store for the stats', async () => {
		await inbox.keep('evt_done', 'evt_lost');
		await inbox.claim('evt_done');
		await inbox.complete('evt_done');
		inbox.time().advance(WINDOW.graceMs);
		await sweep();
		expect(await inbox.store().cursors.read(sweepSummaryKey(NAMESPACE))).toEqual({
			examined: 2,
			recovered: 1,
			deadLettered: 0,
			recoveryRatePercent: 50,
			finishedAt: new Date(inbox.time().now()).toISOString(),
		});
	});
});
