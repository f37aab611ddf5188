import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { type IDataObject, type INodeExecutionData, NodeOperationError } from 'n8n-workflow';

import { openStore } from '../../../lib/store/openStore';
import type { IdempotencyStore } from '../../../lib/store/IdempotencyStore';
import {
	runIdempotencyCheck,
	sleep,
	useTemporaryStore,
} from '../IdempotencyCheck/runIdempotencyCheck';
import { idsByOutput, type LogLine, records, runReconcile, STORE_OUTPUTS } from './runReconcile';

const { folder } = useTemporaryStore();

const NAMESPACE = 'orders';
const LEASE = { leaseMs: 300_000 };
const RETAIN = { retentionMs: 86_400_000 };

/** The store the node opens in these tests (embedded, at HYBRID_SYNC_STORE_PATH). */
const store = (): IdempotencyStore => openStore({ backend: 'embedded' });

async function complete(...keys: string[]): Promise<void> {
	await store().claim(
		NAMESPACE,
		keys.map((key) => ({ key })),
		LEASE,
	);
	await store().complete(
		NAMESPACE,
		keys.map((key) => ({ key })),
		RETAIN,
	);
}

const reportOf = (outputs: INodeExecutionData[][]) => outputs[5][0].json;
const reconcileOf = (item: INodeExecutionData) => item.json.reconcile as IDataObject;

describe('Reconcile against the store: where each source record goes', () => {
	it('sends every state of the store to its own output and counts them in the report', async () => {
		await complete('handled', 'changed', 'older');
		await store().recordVersions(
			NAMESPACE,
			[
				{ entity: 'changed', version: 1 },
				{ entity: 'older', version: 5 },
			],
			RETAIN,
		);
		await store().claim(
			NAMESPACE,
			[{ key: 'in-flight' }, { key: 'released' }, { key: 'poison' }],
			LEASE,
		);
		await store().release(NAMESPACE, ['released'], {
			maxAttempts: 5,
			deadLetterRetentionMs: 86_400_000,
		});
		await store().release(NAMESPACE, ['poison'], {
			maxAttempts: 1,
			deadLetterRetentionMs: 86_400_000,
		});
		const versions: Record<string, number> = { changed: 2, older: 4 };

		const outputs = await runReconcile(
			{ version: (item: INodeExecutionData) => versions[item.json.id as string] ?? '' },
			records('never-seen', 'handled', 'changed', 'older', 'in-flight', 'released', 'poison'),
		);

		expect(idsByOutput(outputs, STORE_OUTPUTS)).toEqual({
			Missing: ['never-seen', 'released'],
			Handled: ['handled', 'older'],
			Changed: ['changed'],
			'In Progress': ['in-flight'],
			'Dead Letter': ['poison'],
		});
		expect(reportOf(outputs)).toMatchObject({
			window: null,
			processed: 7,
			alreadyHandled: 2,
			recovered: 2,
			changed: 1,
			inProgress: 1,
			deadLetter: 1,
			recoveryRate: 2 / 7,
			recoveryRatePercent: 28.57,
			alertThresholdPercent: 1,
			alert: true,
			namespace: NAMESPACE,
		});
		expect(outputs[6]).toEqual(outputs[5]);
		expect(outputs[0][0].json).toEqual({
			id: 'never-seen',
			total: 120,
			customer: { email: 'never-seen@example.com' },
			reconcile: { status: 'missing', key: 'never-seen', namespace: NAMESPACE, claimed: true },
			idempotency: {
				status: 'claimed',
				key: 'never-seen',
				namespace: NAMESPACE,
				token: expect.stringMatching(/^[0-9a-f-]{36}$/),
			},
		});
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 5 }]);
	});

	it('claims what it recovers, so a webhook arriving after the sweep is told In Progress', async () => {
		await complete('b');

		const outputs = await runReconcile({}, records('a', 'b', 'c'));
		const lateWebhook = await store().claim(NAMESPACE, [{ key: 'a' }, { key: 'c' }], LEASE);

		expect(idsByOutput(outputs, STORE_OUTPUTS)).toEqual({ Missing: ['a', 'c'], Handled: ['b'] });
		expect(lateWebhook.map((outcome) => outcome.status)).toEqual(['inProgress', 'inProgress']);
		expect(outputs[0].map((item) => reconcileOf(item).claimed)).toEqual([true, true]);
	});

	it('leaves keys unclaimed when Claim Recovered is off', async () => {
		const outputs = await runReconcile({ claimRecovered: false }, records('a'));
		const [later] = await store().claim(NAMESPACE, [{ key: 'a' }], LEASE);

		expect(reconcileOf(outputs[0][0])).toMatchObject({ status: 'missing', claimed: false });
		expect(later.status).toBe('claimed');
	});

	it('lets a second sweep of the same window recover nothing while the first one holds its claims', async () => {
		await runReconcile({}, records('a', 'b'));

		const second = await runReconcile({}, records('a', 'b'));

		expect(idsByOutput(second, STORE_OUTPUTS)).toEqual({ 'In Progress': ['a', 'b'] });
		expect(reportOf(second)).toMatchObject({ recovered: 0, inProgress: 2, alert: false });
	});

	it('recovers a key repeated inside the window once', async () => {
		await complete('b');

		const outputs = await runReconcile({}, records('a', 'b', 'a', 'b'));

		expect(idsByOutput(outputs, STORE_OUTPUTS)).toEqual({
			Missing: ['a'],
			Handled: ['b', 'b'],
			'In Progress': ['a'],
		});
		expect(reportOf(outputs)).toMatchObject({ processed: 4, recovered: 1, inProgress: 1 });
	});

	it('tells keys apart exactly: unicode, normal forms and case', async () => {
		const composed = 'caf\u00e9';
		const decomposed = 'cafe\u0301';
		await complete(composed, 'заказ-1', '🙂');

		const outputs = await runReconcile(
			{},
			records(composed, decomposed, 'заказ-1', 'ЗАКАЗ-1', '🙂'),
		);

		expect(idsByOutput(outputs, STORE_OUTPUTS)).toEqual({
			Missing: [decomposed, 'ЗАКАЗ-1'],
			Handled: [composed, 'заказ-1', '🙂'],
		});
	});

	it('compares versions given as dates, and treats a missing handled version as handled', async () => {
		await complete('dated', 'unguarded');
		await store().recordVersions(
			NAMESPACE,
			[{ entity: 'dated', version: Date.parse('2026-11-25T10:00:00Z') }],
			RETAIN,
		);
		const updatedAt: Record<string, string> = {
			dated: '2026-11-25T11:00:00+01:00',
			unguarded: '2026-11-25T12:00:00Z',
		};

		const sameInstant = await runReconcile(
			{ version: (item: INodeExecutionData) => updatedAt[item.json.id as string] },
			records('dated', 'unguarded'),
		);
		updatedAt.dated = '2026-11-25T10:00:01Z';
		const newer = await runReconcile(
			{ version: (item: INodeExecutionData) => updatedAt[item.json.id as string] },
			records('dated', 'unguarded'),
		);

		expect(idsByOutput(sameInstant, STORE_OUTPUTS)).toEqual({ Handled: ['dated', 'unguarded'] });
		expect(idsByOutput(newer, STORE_OUTPUTS)).toEqual({
			Changed: ['dated'],
			Handled: ['unguarded'],
		});
	});

	it('compares with the version of another entity when Ordering Entity is set', async () => {
		await complete('event-1');
		await store().recordVersions(NAMESPACE, [{ entity: 'order-9', version: 3 }], RETAIN);

		const outputs = await runReconcile(
			{
				key: (item: INodeExecutionData) => item.json.id,
				version: () => 4,
				'reconcileOptions.entity': () => 'order-9',
			},
			records('event-1'),
		);

		expect(idsByOutput(outputs, STORE_OUTPUTS)).toEqual({ Changed: ['event-1'] });
	});
});

describe('Reconcile against the store: report and alert', () => {
	const window = (missing: number, total: number) =>
		Array.from({ length: total }, (_, n) => `order-${n}`).map((id, n) => ({
			id,
			handled: n >= missing,
		}));

	it.each([
		[1, 200, false],
		[2, 200, false],
		[3, 200, true],
	])('%i recovered of %i records alerts: %s (threshold 1 %%)', async (missing, total, alerted) => {
		const keys = window(missing, total);
		await complete(...keys.filter((key) => key.handled).map((key) => key.id));

		const outputs = await runReconcile(
			{ window: 'last 24 hours' },
			records(...keys.map((key) => key.id)),
		);

		expect(reportOf(outputs)).toMatchObject({
			window: 'last 24 hours',
			processed: total,
			recovered: missing,
			alreadyHandled: total - missing,
			recoveryRate: missing / total,
			alert: alerted,
		});
		expect(outputs[6]).toHaveLength(alerted ? 1 : 0);
	});

	it('uses the configured threshold, and can leave Handled empty for large sweeps', async () => {
		await complete('b', 'c', 'd');

		const outputs = await runReconcile(
			{ alertThresholdPercent: 30, reconcileOptions: { outputHandled: false } },
			records('a', 'b', 'c', 'd'),
		);

		expect(idsByOutput(outputs, STORE_OUTPUTS)).toEqual({ Missing: ['a'] });
		expect(reportOf(outputs)).toMatchObject({ recovered: 1, alreadyHandled: 3, alert: false });
	});

	it('reports an empty window: empty items (Always Output Data upstream) are no records', async () => {
		const empty = await runReconcile({}, [{ json: {} }]);
		const mixed = await runReconcile({}, [{ json: {} }, ...records('a')]);

		expect(empty.map((items) => items.length)).toEqual([0, 0, 0, 0, 0, 1, 0]);
		expect(reportOf(empty)).toMatchObject({ processed: 0, recovered: 0, recoveryRate: 0 });
		expect(idsByOutput(mixed, STORE_OUTPUTS)).toEqual({ Missing: ['a'] });
		expect(mixed[0][0].pairedItem).toEqual({ item: 1 });
	});

	it('logs each recovered key as a warning, with the key and nothing of the record', async () => {
		const logs: LogLine[] = [];
		await complete('b');

		await runReconcile({}, records('a', 'b', 'c'), { logs });

		const warnings = logs.filter((line) => line.level === 'warn');
		expect(warnings.map((line) => line.metadata?.key)).toEqual(['a', 'c']);
		expect(warnings[0].message).toBe('Reconcile recovered a record that was never handled');
		expect(JSON.stringify(logs)).not.toContain('@example.com');
		expect(logs.find((line) => line.level === 'info')?.metadata).toMatchObject({
			processed: 3,
			recovered: 2,
		});
	});
});

describe('Reconcile against the store: bad input', () => {
	it('fails the run on an item without a key, before anything is claimed', async () => {
		const items = [...records('a'), { json: { total: 1 } }];

		await expect(runReconcile({}, items)).rejects.toThrow(
			'Item 1 has no key: the Key expression gave null',
		);
		expect(await store().inspect(NAMESPACE, ['a'])).toEqual([undefined]);
	});

	it('with Continue On Fail, sends unreadable items to Dead Letter, never to Missing', async () => {
		const items = [...records('a'), { json: { total: 1 } }, ...records('b')];
		const version = (item: INodeExecutionData) => (item.json.id === 'b' ? 'not a date' : '');

		const outputs = await runReconcile({ version }, items, { continueOnFail: true });

		expect(outputs[0].map((item) => item.json.id)).toEqual(['a']);
		expect(outputs[4].map((item) => item.json.error)).toEqual([
			'Item 1 has no key: the Key expression gave null',
			'Item 2 has a version that is neither a number nor a date: "not a date"',
		]);
		expect(reportOf(outputs)).toMatchObject({ processed: 1, recovered: 1 });
	});

	it('rejects an alert threshold outside 0-100 % before claiming anything', async () => {
		await expect(runReconcile({ alertThresholdPercent: 150 }, records('a'))).rejects.toThrow(
			'Alert Threshold (%) must be from 0 to 100, got 150',
		);
		expect(await store().inspect(NAMESPACE, ['a'])).toEqual([undefined]);
	});
});

describe('Reconcile against the store: a store it cannot reach', () => {
	const unreachable = () => {
		const regularFile = join(folder, `regular-file-${Math.random().toString(36).slice(2)}`);
		writeFileSync(regularFile, 'not a folder');
		process.env.HYBRID_SYNC_STORE_PATH = join(regularFile, 'store.sqlite');
		return regularFile;
	};

	it('fails with an error that names the store file, and sends nothing to Missing', async () => {
		const regularFile = unreachable();

		const run = runReconcile({}, records('a', 'b'));

		await expect(run).rejects.toBeInstanceOf(NodeOperationError);
		await expect(run).rejects.toMatchObject({
			message: `Store failed: Cannot open the embedded store file ${regularFile}/store.sqlite: EEXIST: file already exists, mkdir '${regularFile}'`,
		});
	});

	it('with Continue On Fail, sends every record to Dead Letter and reports none processed', async () => {
		unreachable();

		const outputs = await runReconcile({}, records('a', 'b'), { continueOnFail: true });

		expect(outputs[0]).toEqual([]);
		expect(outputs[4].map((item) => item.json.id)).toEqual(['a', 'b']);
		expect(outputs[4][0].json.error).toMatch(/^Store failed: Cannot open the embedded store file/);
		expect(reportOf(outputs)).toMatchObject({ processed: 0, recovered: 0 });
	});
});

describe('Reconcile against the store at 100,000 records', () => {
	it('classifies a window of 100,000 records against a store holding 99 % of them', async () => {
		const total = 100_000;
		const ids = Array.from({ length: total }, (_, n) => `order-${n}`);
		const handled = ids.filter((_, n) => n % 100 !== 7);
		for (let start = 0; start < handled.length; start += 10_000) {
			await complete(...handled.slice(start, start + 10_000));
		}
		const items = ids.map((id) => ({ json: { id, payload: id.padEnd(500, '.') } }));

		const outputs = await runReconcile({ window: 'backfill' }, items);

		expect(outputs[0]).toHaveLength(1_000);
		expect(outputs[0][0].json.id).toBe('order-7');
		expect(outputs[1]).toHaveLength(99_000);
		expect(reportOf(outputs)).toMatchObject({
			processed: total,
			recovered: 1_000,
			alreadyHandled: 99_000,
			recoveryRate: 0.01,
			alert: false,
		});
		// The payload is shared with the input, not copied into the outputs.
		expect(outputs[1][0].json.payload).toBe(items[0].json.payload);
	}, 120_000);
});

describe('Reconcile against the store: the recovery claim and its fencing token', () => {
	const completeRecovered = async (items: INodeExecutionData[]) =>
		await runIdempotencyCheck(
			{
				operation: 'complete',
				namespace: NAMESPACE,
				fencing: (item: INodeExecutionData) =>
					(item.json.idempotency as { token?: string } | undefined)?.token ?? '',
			},
			items,
		);

	it("hands each recovered record its claim's token, which the processor's Complete uses", async () => {
		const [missing] = await runReconcile({}, records('a', 'b'));

		const tokens = missing.map((item) => (item.json.idempotency as IDataObject).token);
		const [completed, lost] = await completeRecovered(missing);

		expect(new Set(tokens).size).toBe(2);
		expect(completed.map((item) => item.json.id)).toEqual(['a', 'b']);
		expect(lost).toEqual([]);
	});

	it('counts a crashed recovery as a crash, and a late Complete of the crashed run is a Lost Claim', async () => {
		const shortLease = { leaseMinutes: 0.001 };
		const [crashed] = await runReconcile(shortLease, records('a'));
		await sleep(150);
		const [recoveredAgain] = await runReconcile(shortLease, records('a'));

		const [completed, lost] = await completeRecovered(crashed);

		expect(recoveredAgain.map((item) => item.json.id)).toEqual(['a']);
		expect(completed).toEqual([]);
		expect(lost.map((item) => item.json.id)).toEqual(['a']);
		expect((await store().inspect(NAMESPACE, ['a']))[0]).toMatchObject({
			state: 'inProgress',
			attempts: 2,
			crashes: 1,
		});
	});

	it('dead-letters a record whose recoveries keep crashing, after Max Attempts', async () => {
		const settings = { leaseMinutes: 0.001, maxAttempts: 2 };
		for (let sweep = 1; sweep <= 2; sweep++) {
			await runReconcile(settings, records('poison'));
			await sleep(150);
		}

		const outputs = await runReconcile(settings, records('poison'));

		expect(idsByOutput(outputs, STORE_OUTPUTS)).toEqual({ 'Dead Letter': ['poison'] });
		expect((await store().inspect(NAMESPACE, ['poison']))[0]).toMatchObject({
			state: 'deadLetter',
			crashes: 2,
		});
	});
});
