import type { INodeExecutionData } from 'n8n-workflow';

import {
	CLAIM_OUTPUTS,
	events,
	idempotencyOf,
	routed,
	runIdempotencyCheck,
	sleep,
	useTemporaryStore,
} from './runIdempotencyCheck';

useTemporaryStore();

const claim = async (items: INodeExecutionData[], parameters: Record<string, unknown> = {}) =>
	await runIdempotencyCheck({ operation: 'claim', ...parameters }, items);

describe('Idempotency Check: claim', () => {
	it('sends first-time keys to New, with the input and a description of the claim', async () => {
		const before = Date.now();

		const outputs = await claim(events('evt_1', 'evt_2'));

		expect(outputs).toHaveLength(4);
		expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({ New: ['evt_1', 'evt_2'] });
		const [first] = outputs[0];
		expect(first.json).toMatchObject({
			id: 'evt_1',
			type: 'payment_intent.succeeded',
			amount: 4200,
		});
		expect(idempotencyOf(first)).toMatchObject({
			status: 'claimed',
			key: 'evt_1',
			namespace: 'default',
			state: 'inProgress',
			attempts: 1,
			completedAt: null,
		});
		const leaseExpiresAt = Date.parse(idempotencyOf(first).leaseExpiresAt as string);
		expect(leaseExpiresAt).toBeGreaterThanOrEqual(before + 5 * 60_000);
		expect(leaseExpiresAt).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
	});

	it('sends a key another run holds to In Progress', async () => {
		await claim(events('evt_1'));

		const outputs = await claim(events('evt_1', 'evt_2'));

		expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({ New: ['evt_2'], 'In Progress': ['evt_1'] });
		expect(idempotencyOf(outputs[2][0])).toMatchObject({ status: 'inProgress', attempts: 1 });
	});

	it('lets the first copy of a key in one batch win and sends the others to In Progress', async () => {
		const outputs = await claim(events('evt_a', 'evt_b', 'evt_a', 'evt_c', 'evt_a', 'evt_b'));

		expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({
			New: ['evt_a', 'evt_b', 'evt_c'],
			'In Progress': ['evt_a', 'evt_a', 'evt_b'],
		});
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 3 },
		]);
		expect(outputs[2].map((item) => item.pairedItem)).toEqual([
			{ item: 2 },
			{ item: 4 },
			{ item: 5 },
		]);
	});

	it('keeps separate namespaces apart', async () => {
		await claim(events('evt_1'), { namespace: 'stripe' });

		const outputs = await claim(events('evt_1'), { namespace: 'shopify' });

		expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({ New: ['evt_1'] });
		expect(idempotencyOf(outputs[0][0]).namespace).toBe('shopify');
	});

	it('hands a key whose lease ran out (its run crashed) to the next claim', async () => {
		const leaseOf60Ms = { leaseMinutes: 0.001 };
		const [[crashed]] = await claim(events('evt_crashed'), leaseOf60Ms);
		expect(routed(await claim(events('evt_crashed'), leaseOf60Ms), CLAIM_OUTPUTS)).toEqual({
			'In Progress': ['evt_crashed'],
		});

		await sleep(150);
		const outputs = await claim(events('evt_crashed'), leaseOf60Ms);

		expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({ New: ['evt_crashed'] });
		expect(idempotencyOf(outputs[0][0]).status).toBe('claimed');
		expect(Date.parse(idempotencyOf(outputs[0][0]).claimedAt as string)).toBeGreaterThanOrEqual(
			Date.parse(idempotencyOf(crashed).leaseExpiresAt as string),
		);
	});

	it('claims unicode keys and keys of 2 KB exactly as given', async () => {
		const keys = ['заказ-№42/🧾/注文', 'k'.repeat(2048), '€'.repeat(2048), 'e\u0301', '\u00e9'];
		const items = keys.map((id) => ({ json: { id } }));

		const first = await claim(items);
		const second = await claim(items);

		expect(routed(first, CLAIM_OUTPUTS)).toEqual({ New: keys });
		expect(first[0].map((item) => idempotencyOf(item).key)).toEqual(keys);
		expect(routed(second, CLAIM_OUTPUTS)).toEqual({ 'In Progress': keys });
	});

	it('takes a number key as its decimal text', async () => {
		const outputs = await claim([{ json: { id: 42 } }]);

		expect(idempotencyOf(outputs[0][0]).key).toBe('42');
		expect(routed(await claim([{ json: { id: '42' } }]), CLAIM_OUTPUTS)).toEqual({
			'In Progress': ['42'],
		});
	});

	it('puts pairedItem on every item of every output and passes binary data through', async () => {
		const attachment = { data: { data: 'aGVsbG8=', mimeType: 'text/plain', fileName: 'a.txt' } };
		await claim(events('evt_busy'));
		const items: INodeExecutionData[] = [
			{ json: { id: 'evt_new' }, binary: attachment },
			{ json: { id: 'evt_busy' }, binary: attachment },
			{ json: { id: 'evt_plain' } },
		];

		const outputs = await claim(items);

		expect(outputs[0]).toEqual([
			expect.objectContaining({ pairedItem: { item: 0 }, binary: attachment }),
			expect.not.objectContaining({ binary: expect.anything() }),
		]);
		expect(outputs[0][1].pairedItem).toEqual({ item: 2 });
		expect(outputs[2]).toEqual([
			expect.objectContaining({ pairedItem: { item: 1 }, binary: attachment }),
		]);
	});
});

describe('Idempotency Check: claim with payload fingerprint fields', () => {
	const fingerprinted = { claimOptions: { fingerprintFields: 'amount, currency' } };
	const payment = (amount: number) => ({
		json: { id: 'evt_pay', amount, currency: 'eur', note: `n${amount}` },
	});

	it('sends the same key with other values in the fingerprint fields to Mismatch', async () => {
		await claim([payment(100)], fingerprinted);

		const outputs = await claim([payment(250)], fingerprinted);

		expect(outputs).toHaveLength(5);
		expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({ Mismatch: ['evt_pay'] });
		expect(idempotencyOf(outputs[4][0])).toMatchObject({
			status: 'mismatch',
			fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
		});
		expect(outputs[4][0].pairedItem).toEqual({ item: 0 });
	});

	it('treats the same values in the fingerprint fields as the same event', async () => {
		await claim([payment(100)], fingerprinted);

		const outputs = await claim(
			[{ json: { ...payment(100).json, note: 'other text, same payment' } }],
			fingerprinted,
		);

		expect(routed(outputs, CLAIM_OUTPUTS)).toEqual({ 'In Progress': ['evt_pay'] });
	});

	it('fails the item on a mismatch when told to, naming the key', async () => {
		const failOnMismatch = { claimOptions: { ...fingerprinted.claimOptions, onMismatch: 'error' } };
		await claim([payment(100)], failOnMismatch);

		const run = claim([payment(250)], failOnMismatch);

		await expect(run).rejects.toMatchObject({
			name: 'NodeOperationError',
			message: expect.stringContaining('Key "evt_pay" was claimed before with a different payload'),
			context: expect.objectContaining({ itemIndex: 0 }),
		});
	});
});
