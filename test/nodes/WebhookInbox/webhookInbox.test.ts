import type { INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { openStore } from '../../../lib/store/openStore';
import { router } from '../../../nodes/WebhookInbox/actions/router';
import { configuredOutputs } from '../../../nodes/WebhookInbox/outputs';
import { WebhookInbox } from '../../../nodes/WebhookInbox/WebhookInbox.node';
import { fakeExecuteContext } from '../fakeExecuteContext';
import { useTemporaryStore } from '../IdempotencyCheck/runIdempotencyCheck';

useTemporaryStore();

const PATH = 'stripe-events';
const NAMESPACE = `webhook:${PATH}`;
const description = new WebhookInbox().description;

/** The node in n8n with these parameters (store: the test's embedded file) and input items. */
async function runWebhookInbox(
	parameters: Record<string, unknown>,
	items: INodeExecutionData[] = [{ json: {} }],
	continueOnFail = false,
	logs?: Parameters<typeof fakeExecuteContext>[0]['logs'],
): Promise<INodeExecutionData[][]> {
	const context = fakeExecuteContext({
		logs,
		items,
		parameters: { resource: 'delivery', path: PATH, storeBackend: 'embedded', ...parameters },
		continueOnFail,
		node: { name: 'Webhook Inbox', type: 'n8n-nodes-hybrid-sync.webhookInbox' },
	});
	return await router.call(context);
}

async function keepAndLeave(eventId: string, receivedAt: number): Promise<void> {
	const store = await openStore({ backend: 'embedded' });
	await store.inbox.keep(
		NAMESPACE,
		{
			rawBody: Buffer.from(`{"id":"${eventId}"}`),
			receivedAt,
			events: [
				{
					eventId,
					eventType: 'invoice.paid',
					scheme: 'stripe',
					path: PATH,
					envelope: { id: eventId, type: 'invoice.paid', source: 'webhook', data: {} },
					headers: {},
				},
			],
		},
		{ retentionMs: 86_400_000, maxEntries: 1000 },
	);
}

/** The editor evaluates the description's outputs expression on its own, without this module's scope. */
function evaluateOutputsExpression(parameters: Record<string, string>) {
	const body = /^=\{\{([\s\S]*)\}\}$/.exec(description.outputs as string)?.[1];
	return (new Function('$parameter', `return ${body}`) as (p: unknown) => unknown)(parameters);
}

describe('Webhook Inbox node', () => {
	it.each([
		['delivery', 'recoverStuck', ['Recovered', 'Dead Letter']],
		['delivery', 'redrive', ['Redriven', 'Skipped']],
		['delivery', 'requeueDeadLetters', ['Requeued', 'Skipped']],
		['delivery', 'get', ['Deliveries']],
		['delivery', 'list', ['Deliveries']],
		['delivery', 'purge', ['Purged']],
		['rejectedDelivery', 'list', ['Rejected']],
		['health', 'getStats', ['Stats']],
	])('names the outputs of %s %s, in the editor too', (resource, operation, names) => {
		const outputs = configuredOutputs({ resource, operation });
		expect(outputs.map((output) => output.displayName)).toEqual(names);
		expect(evaluateOutputsExpression({ resource, operation })).toEqual(outputs);
	});

	it('has a router entry for every operation it offers', () => {
		const offered = description.properties
			.filter((property) => property.name === 'operation')
			.flatMap((property) =>
				(property.options as Array<{ value: string }>).map((option) => [
					(property.displayOptions?.show?.resource as string[])[0],
					option.value,
				]),
			);
		expect(offered).toHaveLength(8);
		for (const [resource, operation] of offered) {
			expect(configuredOutputs({ resource, operation }).length).toBeGreaterThan(0);
		}
	});

	it('gives every parameter a default and a description', () => {
		const undescribed = description.properties.filter(
			(property: INodeProperties) =>
				property.type !== 'notice' &&
				property.name !== 'resource' &&
				property.name !== 'operation' &&
				(property.default === undefined || !property.description),
		);
		expect(undescribed.map((property) => property.name)).toEqual([]);
	});

	it('runs a sweep once per execution, whatever its input, pairing what it recovers with the first item', async () => {
		await keepAndLeave('evt_1', Date.now() - 10 * 60_000);

		const logs: NonNullable<Parameters<typeof fakeExecuteContext>[0]['logs']> = [];
		const [recovered, deadLetter] = await runWebhookInbox(
			{ operation: 'recoverStuck', graceMinutes: 2 },
			[{ json: { tick: 1 } }, { json: { tick: 2 } }, { json: { tick: 3 } }],
			false,
			logs,
		);

		expect(deadLetter).toEqual([]);
		expect(recovered).toHaveLength(1);
		expect(recovered[0]).toMatchObject({
			json: {
				id: 'evt_1',
				idempotency: { status: 'claimed', key: 'evt_1', namespace: NAMESPACE, attempts: 1 },
			},
			pairedItem: { item: 0 },
		});
		expect(recovered[0].json.idempotency).toHaveProperty('token', expect.any(String));
		expect(logs).toEqual([
			{
				level: 'warn',
				message: 'Webhook Inbox recovered a delivery nobody had finished',
				metadata: {
					key: 'evt_1',
					namespace: NAMESPACE,
					state: 'inProgress',
					crashes: 0,
					node: 'Webhook Inbox',
				},
			},
		]);
	});

	it('reads the namespace from the trigger path unless one is given', async () => {
		await keepAndLeave('evt_1', Date.now() - 10 * 60_000);

		const [elsewhere] = await runWebhookInbox({ operation: 'list', namespace: 'other' });
		const [here] = await runWebhookInbox({ operation: 'list' });

		expect([elsewhere.length, here.map((item) => item.json.eventId)]).toEqual([0, ['evt_1']]);
	});

	it('refuses a window that ends before it starts, naming both ends', async () => {
		await expect(
			runWebhookInbox({
				operation: 'redrive',
				from: '2026-03-02T00:00:00Z',
				to: '2026-03-01T00:00:00Z',
			}),
		).rejects.toThrow(
			'"From" (2026-03-02T00:00:00.000Z) must be before "To" (2026-03-01T00:00:00.000Z)',
		);
	});

	it('with Continue On Fail, lets a refused window out on Skipped, never on the processing output', async () => {
		await keepAndLeave('evt_1', Date.now() - 10 * 60_000);

		const [redriven, skipped] = await runWebhookInbox(
			{ operation: 'redrive', from: 'not a date' },
			[{ json: {} }],
			true,
		);

		expect(redriven).toEqual([]);
		expect(skipped.map((item) => item.json.error)).toEqual([
			expect.stringContaining('"From" is not a date'),
		]);
	});

	it('fails an item whose event the inbox does not hold, saying why', async () => {
		await expect(
			runWebhookInbox({ operation: 'get', eventId: (item: INodeExecutionData) => item.json.id }, [
				{ json: { id: 'evt_unknown' } },
			]),
		).rejects.toThrow(
			'No delivery of event "evt_unknown" is kept for this webhook: it was never received here, or it expired or was purged',
		);
	});

	it('with Continue On Fail, lets an unknown or missing event ID out as an error item, alone', async () => {
		const [deliveries] = await runWebhookInbox(
			{ operation: 'get', eventId: (item: INodeExecutionData) => item.json.id },
			[{ json: { id: 'evt_unknown' } }, { json: {} }],
			true,
		);

		expect(deliveries.map((item) => [item.pairedItem, item.json.error])).toEqual([
			[{ item: 1 }, expect.stringContaining('Item 1 has no event ID')],
			[{ item: 0 }, expect.stringContaining('No delivery of event "evt_unknown"')],
		]);
	});
});
