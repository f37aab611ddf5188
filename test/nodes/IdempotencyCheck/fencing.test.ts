import type { INodeExecutionData } from 'n8n-workflow';

import { IdempotencyCheck } from '../../../nodes/IdempotencyCheck/IdempotencyCheck.node';

import {
	CLAIM_OUTPUTS,
	COMPLETE_OUTPUTS,
	RELEASE_OUTPUTS,
	events,
	idempotencyOf,
	routed,
	runIdempotencyCheck,
	sleep,
	useTemporaryStore,
} from './runIdempotencyCheck';

useTemporaryStore();

const LEASE_OF_60_MS = { leaseMinutes: 0.001 };
/** What the Fencing Token parameter's default, `{{ $json.idempotency?.token ?? "" }}`, reads. */
const tokenOnItem = (item: INodeExecutionData) =>
	(item.json.idempotency as { token?: string } | undefined)?.token ?? '';

const claim = async (items: INodeExecutionData[], parameters = {}) =>
	await runIdempotencyCheck({ operation: 'claim', ...parameters }, items);
const complete = async (items: INodeExecutionData[]) =>
	await runIdempotencyCheck({ operation: 'complete', fencing: tokenOnItem }, items);
const release = async (items: INodeExecutionData[]) =>
	await runIdempotencyCheck({ operation: 'release', fencing: tokenOnItem }, items);

describe('Idempotency Check: fencing tokens and lost claims', () => {
	it('gives the New item its claim token; Duplicate and In Progress items carry none', async () => {
		await claim(events('evt_done'));
		await runIdempotencyCheck({ operation: 'complete' }, events('evt_done'));

		const [fresh] = await claim(events('evt_1'));
		const again = await claim(events('evt_1', 'evt_done'));

		expect(idempotencyOf(fresh[0]).token).toMatch(/^[0-9a-f-]{36}$/);
		expect(routed(again, CLAIM_OUTPUTS)).toEqual({
			Duplicate: ['evt_done'],
			'In Progress': ['evt_1'],
		});
		expect(idempotencyOf(again[1][0])).not.toHaveProperty('token');
		expect(idempotencyOf(again[2][0])).not.toHaveProperty('token');
	});

	it('completes the key with the token the claim put on the item', async () => {
		const [claimed] = await claim(events('evt_1'));

		const completed = await complete(claimed);

		expect(routed(completed, COMPLETE_OUTPUTS)).toEqual({ Completed: ['evt_1'] });
		expect(idempotencyOf(completed[0][0])).toMatchObject({
			status: 'completed',
			token: idempotencyOf(claimed[0]).token,
		});
	});

	it("sends an overtaken run's items to Lost Claim and leaves the newer claim to its run", async () => {
		const [overtaken] = await claim(events('evt_1', 'evt_2'), LEASE_OF_60_MS);
		await sleep(150);
		const [newer] = await claim(events('evt_1'));

		const late = await complete(overtaken);
		const lateRelease = await release(overtaken.slice(0, 1));

		expect(routed(late, COMPLETE_OUTPUTS)).toEqual({
			Completed: ['evt_2'],
			'Lost Claim': ['evt_1'],
		});
		expect(late[1][0].pairedItem).toEqual({ item: 0 });
		expect(idempotencyOf(late[1][0])).toMatchObject({
			status: 'lostClaim',
			state: 'inProgress',
			attempts: 2,
			crashes: 1,
			token: idempotencyOf(overtaken[0]).token,
			message: expect.stringContaining('another run claimed the key'),
		});
		expect(idempotencyOf(late[1][0]).token).not.toBe(idempotencyOf(newer[0]).token);
		expect(routed(lateRelease, RELEASE_OUTPUTS)).toEqual({ 'Lost Claim': ['evt_1'] });

		const [[stillHeld]] = await runIdempotencyCheck({ operation: 'inspect' }, events('evt_1'));
		expect(idempotencyOf(stillHeld)).toMatchObject({ state: 'inProgress', attempts: 2 });
		expect(routed(await complete(newer), COMPLETE_OUTPUTS)).toEqual({ Completed: ['evt_1'] });
		expect(routed(await complete(overtaken.slice(0, 1)), COMPLETE_OUTPUTS)).toEqual({
			'Lost Claim': ['evt_1'],
		});
	});

	it('reads the token off the item itself when Fencing Token keeps its default', async () => {
		const defaults = new IdempotencyCheck().description.properties;
		const fencing = defaults.find((property) => property.name === 'fencing')!.default as string;
		const [claimed] = await claim(events('evt_1', 'evt_2'));
		const overtakenLooking = [
			claimed[0],
			{ json: { ...claimed[1].json, idempotency: { token: 'not-the-claim' } } },
		];

		const outputs = await runIdempotencyCheck({ operation: 'complete' }, overtakenLooking, {
			node: { parameters: { fencing } },
		});

		expect(routed(outputs, COMPLETE_OUTPUTS)).toEqual({
			Completed: ['evt_1'],
			'Lost Claim': ['evt_2'],
		});
		expect(idempotencyOf(outputs[0][0]).token).toBe(idempotencyOf(claimed[0]).token);
	});

	describe('Claim given the token (the re-run guard)', () => {
		const guard = async (items: INodeExecutionData[]) =>
			await claim(items, { fencing: tokenOnItem });

		it('lets an item holding its claim through to New again, same token, no attempt counted', async () => {
			const [claimed] = await claim(events('evt_1'));

			const [again] = await guard(claimed);

			expect(idempotencyOf(again[0])).toMatchObject({
				status: 'claimed',
				attempts: 1,
				token: idempotencyOf(claimed[0]).token,
			});
			expect(routed(await complete(again), COMPLETE_OUTPUTS)).toEqual({ Completed: ['evt_1'] });
		});

		it('sends a re-run of a finished claim to Duplicate', async () => {
			const [claimed] = await claim(events('evt_1'));
			await complete(claimed);

			expect(routed(await guard(claimed), CLAIM_OUTPUTS)).toEqual({ Duplicate: ['evt_1'] });
		});

		it('sends an item whose claim was taken over to In Progress, leaving the newer claim be', async () => {
			const [overtaken] = await claim(events('evt_1'), LEASE_OF_60_MS);
			await sleep(150);
			const [newer] = await claim(events('evt_1'));

			const outputs = await guard(overtaken);

			expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({ 'In Progress': ['evt_1'] });
			expect(routed(await complete(newer), COMPLETE_OUTPUTS)).toEqual({ Completed: ['evt_1'] });
		});
	});

	it('acts on whoever holds the key for items without a token, as before tokens existed', async () => {
		await claim(events('evt_1'));

		const completed = await complete(events('evt_1'));

		expect(routed(completed, COMPLETE_OUTPUTS)).toEqual({ Completed: ['evt_1'] });
		expect(idempotencyOf(completed[0][0])).toMatchObject({ status: 'completed' });
		expect(idempotencyOf(completed[0][0])).not.toHaveProperty('token');
	});

	it('counts runs lost to a lapsed lease as crashes and dead-letters the key after Max Attempts', async () => {
		const settings = { ...LEASE_OF_60_MS, maxAttempts: 2 };
		const statuses: string[] = [];
		for (let run = 1; run <= 3; run++) {
			const outputs = await claim(events('evt_poison'), settings);
			statuses.push(...Object.keys(routed(outputs, CLAIM_OUTPUTS)));
			await sleep(150);
		}

		expect(statuses).toEqual(['New', 'New', 'Dead Letter']);
		const [[inspected]] = await runIdempotencyCheck({ operation: 'inspect' }, events('evt_poison'));
		expect(idempotencyOf(inspected)).toMatchObject({
			state: 'deadLetter',
			attempts: 2,
			releases: 0,
			crashes: 2,
		});
	});

	it('fails an item whose token is not text, before anything is changed', async () => {
		await claim(events('evt_1'));

		const run = runIdempotencyCheck(
			{ operation: 'complete', fencing: () => ({ not: 'a token' }) },
			events('evt_1'),
		);

		await expect(run).rejects.toMatchObject({
			message: expect.stringMatching(/^Item 0 has a fencing token that is not text/),
		});
		const [[inspected]] = await runIdempotencyCheck({ operation: 'inspect' }, events('evt_1'));
		expect(idempotencyOf(inspected).state).toBe('inProgress');
	});
});
