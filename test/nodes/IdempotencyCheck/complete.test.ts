import {
	CLAIM_OUTPUTS,
	events,
	idempotencyOf,
	routed,
	runIdempotencyCheck,
	useTemporaryStore,
} from './runIdempotencyCheck';

useTemporaryStore();

describe('Idempotency Check: complete', () => {
	it('marks claimed keys done on the Completed output, and later claims are Duplicate', async () => {
		await runIdempotencyCheck({ operation: 'claim' }, events('evt_1', 'evt_2'));

		const completed = await runIdempotencyCheck(
			{ operation: 'complete' },
			events('evt_1', 'evt_2'),
		);
		const claimedAgain = await runIdempotencyCheck(
			{ operation: 'claim' },
			events('evt_1', 'evt_2', 'evt_3'),
		);

		expect(completed).toHaveLength(2);
		expect(completed[0].map((item) => item.json.id)).toEqual(['evt_1', 'evt_2']);
		expect(completed[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(idempotencyOf(completed[0][0])).toMatchObject({
			status: 'completed',
			state: 'completed',
			attempts: 1,
			leaseExpiresAt: null,
		});
		expect(routed(claimedAgain, CLAIM_OUTPUTS)).toEqual({
			New: ['evt_3'],
			Duplicate: ['evt_1', 'evt_2'],
		});
		expect(idempotencyOf(claimedAgain[1][0])).toMatchObject({
			status: 'duplicate',
			state: 'completed',
		});
	});

	it('hands the stored result to later Duplicate claims', async () => {
		await runIdempotencyCheck({ operation: 'claim' }, events('evt_1', 'evt_2'));
		await runIdempotencyCheck(
			{
				operation: 'complete',
				storeResult: true,
				result: (item: { json: { id: string } }) => ({ chargeId: `ch_${item.json.id}` }),
			},
			events('evt_1'),
		);
		await runIdempotencyCheck(
			{ operation: 'complete', storeResult: true, result: '{ "chargeId": "ch_from_json_text" }' },
			events('evt_2'),
		);

		const duplicates = await runIdempotencyCheck({ operation: 'claim' }, events('evt_1', 'evt_2'));

		expect(duplicates[1].map((item) => idempotencyOf(item).result)).toEqual([
			{ chargeId: 'ch_evt_1' },
			{ chargeId: 'ch_from_json_text' },
		]);
	});

	it('remembers a key completed without a claim, and says it was not claimed', async () => {
		const [[item]] = await runIdempotencyCheck({ operation: 'complete' }, events('evt_unclaimed'));

		expect(idempotencyOf(item)).toMatchObject({
			status: 'notClaimed',
			state: 'completed',
			attempts: 0,
		});
		expect(
			routed(
				await runIdempotencyCheck({ operation: 'claim' }, events('evt_unclaimed')),
				CLAIM_OUTPUTS,
			),
		).toEqual({
			Duplicate: ['evt_unclaimed'],
		});
	});

	it('answers alreadyCompleted when the key is completed twice', async () => {
		await runIdempotencyCheck({ operation: 'claim' }, events('evt_1'));

		const [items] = await runIdempotencyCheck({ operation: 'complete' }, events('evt_1', 'evt_1'));

		expect(items.map((item) => idempotencyOf(item).status)).toEqual([
			'completed',
			'alreadyCompleted',
		]);
	});

	it('fails the item whose result is not JSON, before anything is stored', async () => {
		await runIdempotencyCheck({ operation: 'claim' }, events('evt_1'));

		const run = runIdempotencyCheck(
			{ operation: 'complete', storeResult: true, result: '{ not json' },
			events('evt_1'),
		);

		await expect(run).rejects.toMatchObject({
			name: 'NodeOperationError',
			message: 'Result is not valid JSON',
			context: expect.objectContaining({ itemIndex: 0 }),
		});
		const [[inspected]] = await runIdempotencyCheck({ operation: 'inspect' }, events('evt_1'));
		expect(idempotencyOf(inspected).state).toBe('inProgress');
	});
});
