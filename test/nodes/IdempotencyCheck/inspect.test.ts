import {
	CLAIM_OUTPUTS,
	events,
	idempotencyOf,
	routed,
	runIdempotencyCheck,
	useTemporaryStore,
} from './runIdempotencyCheck';

useTemporaryStore();

describe('Idempotency Check: inspect and forget', () => {
	it('shows the state of each key on Keys, absent ones included, and changes nothing', async () => {
		await runIdempotencyCheck({ operation: 'claim' }, events('evt_busy', 'evt_done'));
		await runIdempotencyCheck({ operation: 'complete' }, events('evt_done'));

		const outputs = await runIdempotencyCheck(
			{ operation: 'inspect' },
			events('evt_busy', 'evt_done', 'evt_unknown'),
		);

		expect(outputs).toHaveLength(1);
		expect(outputs[0].map((item) => idempotencyOf(item).status)).toEqual([
			'inProgress',
			'completed',
			'absent',
		]);
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(
			routed(
				await runIdempotencyCheck({ operation: 'claim' }, events('evt_unknown')),
				CLAIM_OUTPUTS,
			),
		).toEqual({
			New: ['evt_unknown'],
		});
	});

	it('forgets keys so they are New again, and says which ones existed', async () => {
		await runIdempotencyCheck({ operation: 'claim' }, events('evt_done'));
		await runIdempotencyCheck({ operation: 'complete' }, events('evt_done'));

		const [forgotten] = await runIdempotencyCheck(
			{ operation: 'forget' },
			events('evt_done', 'evt_unknown'),
		);
		const claimedAgain = await runIdempotencyCheck({ operation: 'claim' }, events('evt_done'));

		expect(forgotten.map((item) => item.json.idempotency)).toEqual([
			{ status: 'forgotten', key: 'evt_done' },
			{ status: 'absent', key: 'evt_unknown' },
		]);
		expect(routed(claimedAgain, CLAIM_OUTPUTS)).toEqual({ New: ['evt_done'] });
		expect(idempotencyOf(claimedAgain[0][0]).attempts).toBe(1);
	});
});
