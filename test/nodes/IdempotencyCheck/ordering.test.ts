import type { INodeExecutionData } from 'n8n-workflow';

import { IdempotencyCheck } from '../../../nodes/IdempotencyCheck/IdempotencyCheck.node';
import { configuredOutputs } from '../../../nodes/IdempotencyCheck/outputs';
import type { PerItem } from '../fakeExecuteContext';
import {
	idempotencyOf,
	routed,
	runIdempotencyCheck,
	useTemporaryStore,
} from './runIdempotencyCheck';

useTemporaryStore();

const ORDERED_OUTPUTS = ['New', 'Duplicate', 'In Progress', 'Dead Letter', 'Stale'] as const;

/** The options as the expressions `{{ $json.customer }}` and `{{ $json.updated }}` give them per item. */
const byCustomer: PerItem = (item) => ({
	orderingEntity: item.json.customer,
	orderingVersion: item.json.updated,
});

/** A customer.updated event: its own id, the customer it changes and that change's version. */
const update = (
	id: string,
	customer: string,
	updated: string | number | Date | undefined,
): INodeExecutionData => ({
	json: { id, type: 'customer.updated', customer, updated },
});

const claim = async (items: INodeExecutionData[], options: { continueOnFail?: boolean } = {}) =>
	await runIdempotencyCheck({ operation: 'claim', claimOptions: byCustomer }, items, options);
const complete = async (items: INodeExecutionData[]) =>
	await runIdempotencyCheck({ operation: 'complete', completeOptions: byCustomer }, items);

/** Claims and completes the events, as a workflow that processed them would. */
async function processed(...items: INodeExecutionData[]) {
	await claim(items);
	return await complete(items);
}

describe('Idempotency Check: ordering guard', () => {
	it('sends an event older than the newest completed for its entity to Stale, unclaimed', async () => {
		await processed(update('evt_new', 'cus_1', 20));

		const outputs = await claim([update('evt_old', 'cus_1', 10)]);

		expect(outputs).toHaveLength(5);
		expect(routed(outputs, ORDERED_OUTPUTS)).toEqual({ Stale: ['evt_old'] });
		expect(idempotencyOf(outputs[4][0])).toEqual({
			status: 'stale',
			key: 'evt_old',
			namespace: 'default',
			ordering: { entity: 'cus_1', version: 10, latestVersion: 20 },
		});
		expect(outputs[4][0].pairedItem).toEqual({ item: 0 });
		const inspected = await runIdempotencyCheck({ operation: 'inspect' }, [
			update('evt_old', 'cus_1', 10),
		]);
		expect(idempotencyOf(inspected[0][0]).status).toBe('absent');
	});

	it('sends a newer event to New, and judges each entity on its own', async () => {
		await processed(update('evt_1', 'cus_1', 20), update('evt_2', 'cus_2', 50));

		const outputs = await claim([
			update('evt_3', 'cus_1', 21),
			update('evt_4', 'cus_2', 49),
			update('evt_5', 'cus_3', 1),
		]);

		expect(routed(outputs, ORDERED_OUTPUTS)).toEqual({
			New: ['evt_3', 'evt_5'],
			Stale: ['evt_4'],
		});
		expect(idempotencyOf(outputs[0][0])).toMatchObject({ status: 'claimed', state: 'inProgress' });
	});

	it('lets an equal version through: its key decides (a redelivery is Duplicate)', async () => {
		await processed(update('evt_1', 'cus_1', 20));

		const outputs = await claim([update('evt_1', 'cus_1', 20), update('evt_2', 'cus_1', 20)]);

		expect(routed(outputs, ORDERED_OUTPUTS)).toEqual({ New: ['evt_2'], Duplicate: ['evt_1'] });
	});

	it('compares dates as instants, whatever their format or offset', async () => {
		await processed(update('evt_1', 'cus_1', '2025-06-15T12:00:00Z'));

		const outputs = await claim([
			update('evt_2', 'cus_1', '2025-06-15T13:59:59+02:00'),
			update('evt_3', 'cus_1', new Date('2025-06-15T12:00:01Z')),
			update('evt_4', 'cus_1', '2025-06-15 11:00:00'),
		]);

		expect(routed(outputs, ORDERED_OUTPUTS)).toEqual({
			New: ['evt_3'],
			Stale: ['evt_2', 'evt_4'],
		});
		expect(idempotencyOf(outputs[4][0]).ordering).toEqual({
			entity: 'cus_1',
			version: Date.parse('2025-06-15T11:59:59Z'),
			latestVersion: Date.parse('2025-06-15T12:00:00Z'),
		});
	});

	it('fails an item whose version is missing or not a number or date, naming the value', async () => {
		const run = claim([update('evt_1', 'cus_1', 'yesterday-ish')]);

		await expect(run).rejects.toMatchObject({
			name: 'NodeOperationError',
			message:
				'Item 0 has no usable ordering version: the Ordering Version expression gave "yesterday-ish"',
			context: expect.objectContaining({ itemIndex: 0 }),
		});
	});

	it('with continue on fail, sends only the item without a version to the error path', async () => {
		const outputs = await claim(
			[update('evt_1', 'cus_1', 5), update('evt_2', 'cus_1', undefined), update('evt_3', '', 5)],
			{ continueOnFail: true },
		);

		expect(outputs[0].map((item) => item.json.id)).toEqual(['evt_1']);
		expect(outputs[3].map((item) => [item.json.id, item.json.error])).toEqual([
			['evt_2', 'Item 1 has no usable ordering version: the Ordering Version expression gave null'],
			['evt_3', 'Item 2 has no ordering entity: the Ordering Entity expression gave ""'],
		]);
	});

	it('raises the entity version on complete, never lowering it', async () => {
		const first = await processed(update('evt_1', 'cus_1', 30));
		const second = await processed(update('evt_2', 'cus_1', 40));
		const lower = await complete([update('evt_3', 'cus_1', 35)]);

		expect(idempotencyOf(first[0][0])).toMatchObject({
			status: 'completed',
			ordering: { entity: 'cus_1', version: 30, applied: true, latestVersion: 30 },
		});
		expect(idempotencyOf(second[0][0]).ordering).toEqual({
			entity: 'cus_1',
			version: 40,
			applied: true,
			latestVersion: 40,
		});
		expect(idempotencyOf(lower[0][0]).ordering).toEqual({
			entity: 'cus_1',
			version: 35,
			applied: false,
			latestVersion: 40,
		});
		expect(routed(await claim([update('evt_4', 'cus_1', 39)]), ORDERED_OUTPUTS)).toEqual({
			Stale: ['evt_4'],
		});
	});

	it('does not let a claim raise the version: only a completed event counts', async () => {
		await claim([update('evt_1', 'cus_1', 30)]);

		const outputs = await claim([update('evt_2', 'cus_1', 10)]);

		expect(routed(outputs, ORDERED_OUTPUTS)).toEqual({ New: ['evt_2'] });
	});
});

describe('Idempotency Check: ordering guard outputs', () => {
	type OutputParameters = Parameters<typeof configuredOutputs>[0];
	const ordering = { orderingEntity: '={{ $json.customer }}', orderingVersion: '={{ $json.v }}' };
	const cases: Array<[string, OutputParameters, string[]]> = [
		[
			'claim with the ordering guard',
			{ operation: 'claim', claimOptions: ordering },
			['New', 'Duplicate', 'In Progress', 'Dead Letter', 'Stale'],
		],
		[
			'claim with fingerprint fields and the ordering guard',
			{ operation: 'claim', claimOptions: { fingerprintFields: 'amount', ...ordering } },
			['New', 'Duplicate', 'In Progress', 'Dead Letter', 'Mismatch', 'Stale'],
		],
		[
			'claim with only an ordering entity',
			{ operation: 'claim', claimOptions: { orderingEntity: ordering.orderingEntity } },
			['New', 'Duplicate', 'In Progress', 'Dead Letter'],
		],
	];

	/** The editor evaluates the description's outputs expression on its own, without this module's scope. */
	function evaluateOutputsExpression(parameters: OutputParameters) {
		const expression = new IdempotencyCheck().description.outputs as string;
		const body = /^=\{\{([\s\S]*)\}\}$/.exec(expression)?.[1];
		return new Function('$parameter', `return ${body}`)(parameters) as ReturnType<
			typeof configuredOutputs
		>;
	}

	it.each(cases)('names the outputs of %s, in the editor too', (_, parameters, expected) => {
		expect(configuredOutputs(parameters).map((output) => output.displayName)).toEqual(expected);
		expect(evaluateOutputsExpression(parameters)).toEqual(configuredOutputs(parameters));
	});

	it('sends Stale items to the last output when Mismatch is shown too', async () => {
		const options: PerItem = (item) => ({
			fingerprintFields: 'amount',
			...(byCustomer(item, 0) as object),
		});
		await runIdempotencyCheck({ operation: 'complete', completeOptions: byCustomer }, [
			update('evt_1', 'cus_1', 9),
		]);

		const outputs = await runIdempotencyCheck({ operation: 'claim', claimOptions: options }, [
			update('evt_2', 'cus_1', 8),
		]);

		expect(outputs).toHaveLength(6);
		expect(outputs[5].map((item) => item.json.id)).toEqual(['evt_2']);
	});
});
