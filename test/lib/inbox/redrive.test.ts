import { listEntries } from '../../../lib/inbox/listEntries';
import { redrive } from '../../../lib/inbox/redrive';
import { requeueDeadLetters } from '../../../lib/inbox/requeueDeadLetters';
import { CLAIM, NAMESPACE, useInboxStore } from './inboxStore';

describe('redrive, requeue and list on a real embedded store', () => {
	const inbox = useInboxStore();
	const ids = (found: Array<{ entry: { eventId: string } }>) => found.map((f) => f.entry.eventId);
	const drive = async (filter = {}, limit = 1000) =>
		await redrive(
			inbox.store(),
			NAMESPACE,
			{ states: [], ...filter },
			{ limit, claim: CLAIM, now: inbox.time().now },
		);
	const deadLetter = async (eventId: string) => {
		for (let attempt = 1; attempt <= CLAIM.maxAttempts; attempt++) {
			await inbox.claim(eventId);
			await inbox.release(eventId);
		}
	};

	it('claims every event of the window not completed, never a completed one', async () => {
		await inbox.keep('evt_done', 'evt_failed', 'evt_never');
		await inbox.claim('evt_done', 'evt_failed');
		await inbox.complete('evt_done');
		await inbox.release('evt_failed');
		const { redriven, skipped } = await drive();
		expect(ids(redriven)).toEqual(['evt_failed', 'evt_never']);
		expect(skipped.map((s) => [s.entry.eventId, s.reason])).toEqual([['evt_done', 'completed']]);
	});

	it('redrives an event once: a second redrive finds it held', async () => {
		await inbox.keep('evt_1');
		expect(ids((await drive()).redriven)).toEqual(['evt_1']);
		const again = await drive();
		expect([ids(again.redriven), again.skipped.map((s) => s.reason)]).toEqual([
			[],
			['claimedElsewhere'],
		]);
	});

	it('takes only the window asked for', async () => {
		await inbox.keep('evt_before');
		inbox.time().advance(1000);
		const from = inbox.time().now();
		await inbox.keep('evt_inside');
		inbox.time().advance(1000);
		await inbox.keep('evt_after');
		expect(ids((await drive({ from, to: from + 1000 })).redriven)).toEqual(['evt_inside']);
	});

	it('skips dead letters: they are requeued on purpose', async () => {
		await inbox.keep('evt_dead');
		await deadLetter('evt_dead');
		const { redriven, skipped } = await drive();
		expect([ids(redriven), skipped.map((s) => s.reason)]).toEqual([[], ['deadLetter']]);
	});

	it('requeues a dead letter once and claims it for the run', async () => {
		await inbox.keep('evt_dead', 'evt_fine');
		await deadLetter('evt_dead');
		const first = await requeueDeadLetters(inbox.store(), NAMESPACE, undefined, {
			limit: 100,
			claim: CLAIM,
		});
		expect(ids(first.requeued)).toEqual(['evt_dead']);
		expect(first.requeued[0].record).toMatchObject({
			state: 'inProgress',
			attempts: 1,
			releases: 3,
		});
		const second = await requeueDeadLetters(
			inbox.store(),
			NAMESPACE,
			['evt_dead', 'evt_fine', 'evt_unknown'],
			{
				limit: 100,
				claim: CLAIM,
			},
		);
		expect([ids(second.requeued), second.skipped]).toEqual([
			[],
			[
				{ eventId: 'evt_unknown', reason: 'notInInbox' },
				{ eventId: 'evt_dead', reason: 'notDeadLetter' },
				{ eventId: 'evt_fine', reason: 'notDeadLetter' },
			],
		]);
	});

	it('lists entries by key state, joined with their records', async () => {
		await inbox.keep('evt_done', 'evt_never', 'evt_running');
		await inbox.claim('evt_done', 'evt_running');
		await inbox.complete('evt_done');
		const listed = await listEntries(
			inbox.store(),
			NAMESPACE,
			{ states: ['notClaimed', 'completed'] },
			{ limit: 10, now: inbox.time().now },
		);
		expect(listed.map((l) => [l.entry.eventId, l.state])).toEqual([
			['evt_done', 'completed'],
			['evt_never', 'notClaimed'],
		]);
	});
});
