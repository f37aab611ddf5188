import {
	CLAIM_OUTPUTS,
	RELEASE_OUTPUTS,
	events,
	idempotencyOf,
	routed,
	runIdempotencyCheck,
	useTemporaryStore,
} from './runIdempotencyCheck';

useTemporaryStore();

const claim = async (...ids: string[]) =>
	await runIdempotencyCheck({ operation: 'claim' }, events(...ids));
const release = async (...ids: string[]) =>
	await runIdempotencyCheck({ operation: 'release', maxAttempts: 3 }, events(...ids));

describe('Idempotency Check: release', () => {
	it('gives a claimed key back on Released, so the next claim is New and counts the attempt', async () => {
		await claim('evt_1');

		const released = await release('evt_1');
		const claimedAgain = await claim('evt_1');

		expect(released).toHaveLength(3);
		expect(routed(released, RELEASE_OUTPUTS)).toEqual({ Released: ['evt_1'] });
		expect(released[0][0].pairedItem).toEqual({ item: 0 });
		expect(idempotencyOf(released[0][0])).toMatchObject({
			status: 'released',
			state: 'released',
			attempts: 1,
		});
		expect(routed(claimedAgain, CLAIM_OUTPUTS)).toEqual({ New: ['evt_1'] });
		expect(idempotencyOf(claimedAgain[0][0])).toMatchObject({ status: 'claimed', attempts: 2 });
	});

	it('dead-letters a key on its third failed attempt; later claims go to Dead Letter', async () => {
		const outcomes: Array<Record<string, unknown[]>> = [];
		for (let attempt = 1; attempt <= 3; attempt++) {
			await claim('evt_poison', 'evt_ok');
			outcomes.push(routed(await release('evt_poison'), RELEASE_OUTPUTS));
			await runIdempotencyCheck({ operation: 'complete' }, events('evt_ok'));
		}

		const later = await claim('evt_poison');

		expect(outcomes).toEqual([
			{ Released: ['evt_poison'] },
			{ Released: ['evt_poison'] },
			{ 'Dead Letter': ['evt_poison'] },
		]);
		expect(routed(later, CLAIM_OUTPUTS)).toEqual({ 'Dead Letter': ['evt_poison'] });
		expect(idempotencyOf(later[3][0])).toMatchObject({
			status: 'deadLetter',
			state: 'deadLetter',
			attempts: 3,
		});
		expect(later[3][0].pairedItem).toEqual({ item: 0 });
	});

	it('answers notClaimed on Released for a key that was not claimed, and changes nothing', async () => {
		await claim('evt_done');
		await runIdempotencyCheck({ operation: 'complete' }, events('evt_done'));

		const released = await release('evt_never', 'evt_done');

		expect(routed(released, RELEASE_OUTPUTS)).toEqual({ Released: ['evt_never', 'evt_done'] });
		expect(released[0].map((item) => idempotencyOf(item).status)).toEqual([
			'notClaimed',
			'notClaimed',
		]);
		expect(routed(await claim('evt_done', 'evt_never'), CLAIM_OUTPUTS)).toEqual({
			New: ['evt_never'],
			Duplicate: ['evt_done'],
		});
	});
});
