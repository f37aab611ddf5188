import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { NodeOperationError } from 'n8n-workflow';

import {
	CLAIM_OUTPUTS,
	RELEASE_OUTPUTS,
	events,
	idempotencyOf,
	routed,
	runIdempotencyCheck,
	useTemporaryStore,
} from './runIdempotencyCheck';

const { folder } = useTemporaryStore();

const inspect = async (...ids: string[]) =>
	(await runIdempotencyCheck({ operation: 'inspect' }, events(...ids)))[0].map(
		(item) => idempotencyOf(item).status,
	);

describe('Idempotency Check: an item it cannot check', () => {
	it('fails the run on an item without a key, naming the item, before any key is claimed', async () => {
		const items = [
			...events('evt_1'),
			{ json: { type: 'payment_intent.succeeded' } },
			...events('evt_3'),
		];

		const run = runIdempotencyCheck({ operation: 'claim' }, items);

		await expect(run).rejects.toBeInstanceOf(NodeOperationError);
		await expect(run).rejects.toMatchObject({
			message: 'Item 1 has no key: the Key expression gave null',
			description: expect.stringContaining('{{ $json.id }}'),
			context: expect.objectContaining({ itemIndex: 1 }),
		});
		expect(await inspect('evt_1', 'evt_3')).toEqual(['absent', 'absent']);
	});

	it.each([
		['an empty string', '', '""'],
		['only spaces', '   ', '"   "'],
		['null', null, 'null'],
		['an object', { id: 1 }, '{"id":1}'],
		['a boolean', true, 'true'],
	])('refuses a key that is %s', async (_, id, shown) => {
		const run = runIdempotencyCheck({ operation: 'claim' }, [{ json: { id } }]);

		await expect(run).rejects.toMatchObject({
			message: `Item 0 has no key: the Key expression gave ${shown}`,
		});
	});

	it('refuses a key the store cannot hold, in words about the item', async () => {
		const items = [...events('evt_1'), { json: { id: 'x'.repeat(9000) } }];

		const run = runIdempotencyCheck({ operation: 'claim' }, items);

		await expect(run).rejects.toMatchObject({
			message:
				'Item 1 has an unusable key: it is 9000 bytes long in UTF-8; at most 8192 bytes fit (hash longer values first)',
			context: expect.objectContaining({ itemIndex: 1 }),
		});
	});

	it('with continue on fail, sends the item with its error to Dead Letter, never to New, and checks the others', async () => {
		const items = [...events('evt_1'), { json: { type: 'no id' } }, ...events('evt_1', 'evt_3')];

		const outputs = await runIdempotencyCheck({ operation: 'claim' }, items, {
			continueOnFail: true,
		});

		expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({
			New: ['evt_1', 'evt_3'],
			'In Progress': ['evt_1'],
			'Dead Letter': [undefined],
		});
		const [failed] = outputs[3];
		expect(failed.json).toEqual({
			type: 'no id',
			error: 'Item 1 has no key: the Key expression gave null',
		});
		expect(failed.pairedItem).toEqual({ item: 1 });
		// What n8n's "Continue (using error output)" looks for to move the item to the error output.
		expect(failed.error).toBeInstanceOf(NodeOperationError);
		expect(failed.error?.context.itemIndex).toBe(1);
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 3 }]);
	});

	it('with continue on fail, sends a fingerprint mismatch that should fail to Dead Letter', async () => {
		const parameters = {
			operation: 'claim',
			claimOptions: { fingerprintFields: 'amount', onMismatch: 'error' },
		};
		await runIdempotencyCheck(parameters, [{ json: { id: 'evt_pay', amount: 1 } }]);

		const outputs = await runIdempotencyCheck(
			parameters,
			[{ json: { id: 'evt_pay', amount: 2 } }],
			{
				continueOnFail: true,
			},
		);

		expect(outputs).toHaveLength(4);
		expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({ 'Dead Letter': ['evt_pay'] });
		expect(outputs[3][0].json.error).toMatch(/different payload/);
	});

	it('with continue on fail, keeps a failed release on Released with its error', async () => {
		await runIdempotencyCheck({ operation: 'claim' }, events('evt_1'));

		const outputs = await runIdempotencyCheck(
			{ operation: 'release' },
			[{ json: { id: '' } }, ...events('evt_1')],
			{ continueOnFail: true },
		);

		expect(routed(outputs, RELEASE_OUTPUTS)).toEqual({ Released: ['', 'evt_1'] });
		expect(outputs[0][0]).toMatchObject({
			json: { error: expect.stringMatching(/^Item 0 has no key/) },
			pairedItem: { item: 0 },
		});
		expect(idempotencyOf(outputs[0][1]).status).toBe('released');
	});
});

describe('Idempotency Check: a store it cannot reach', () => {
	const unreachable = () => {
		const regularFile = join(folder, `regular-file-${Math.random().toString(36).slice(2)}`);
		writeFileSync(regularFile, 'not a folder');
		process.env.HYBRID_SYNC_STORE_PATH = join(regularFile, 'store.sqlite');
		return regularFile;
	};

	it.each(['claim', 'complete', 'release', 'inspect', 'forget'])(
		'fails %s with an error that names the store file and the problem, and lets no item through',
		async (operation) => {
			const regularFile = unreachable();

			const run = runIdempotencyCheck({ operation }, events('evt_1', 'evt_2'));

			await expect(run).rejects.toBeInstanceOf(NodeOperationError);
			await expect(run).rejects.toMatchObject({
				message: `Store failed: Cannot open the embedded store file ${regularFile}/store.sqlite: EEXIST: file already exists, mkdir '${regularFile}'`,
				description: expect.stringContaining('HYBRID_SYNC_STORE_PATH'),
			});
		},
	);

	it('with continue on fail, sends every item to Dead Letter with the error and none to New', async () => {
		unreachable();

		const outputs = await runIdempotencyCheck({ operation: 'claim' }, events('evt_1', 'evt_2'), {
			continueOnFail: true,
		});

		expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({ 'Dead Letter': ['evt_1', 'evt_2'] });
		expect(outputs[3].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		for (const item of outputs[3]) {
			expect(item.json.error).toMatch(/^Store failed: Cannot open the embedded store file/);
			expect(item.error).toBeInstanceOf(NodeOperationError);
		}
	});
});
