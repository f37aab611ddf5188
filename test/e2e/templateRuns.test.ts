import { createHmac } from 'node:crypto';

import type { IDataObject, ITaskData } from 'n8n-workflow';

import { startMockChangesApi, type MockChangesApi } from '../support/mockChangesApi';
import {
	startRecordingEndpoint,
	type RecordedRequest,
	type RecordingEndpoint,
} from '../support/recordingEndpoint';
import { waitFor } from '../support/waitFor';
import {
	N8nInstance,
	keyTokens,
	loadTemplate,
	outputItems,
	patchNode,
	withCredential,
	type CreatedWorkflow,
} from './harness';

/**
 * The shipped templates, imported as users import them, activated in a real n8n and driven end to
 * end: only their placeholder hosts are pointed at local servers (a mock ERP, a warehouse, a
 * fulfilment API) started here, and each test says what else it had to change to run at test speed.
 */

function countBy<T>(values: T[], key: (value: T) => string): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const value of values) counts[key(value)] = (counts[key(value)] ?? 0) + 1;
	return counts;
}

describe('templates run end to end in a real n8n', () => {
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await N8nInstance.start();
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	describe('erp-cursor-sync.json', () => {
		/** The ERP caps pages at 5 orders whatever `limit` asks for (many do), so the template's
		 * limit=500 walks several pages per poll and ties on updated_at straddle page edges. */
		const ERP_PAGE_CAP = 5;
		let erp: MockChangesApi;
		let warehouse: RecordingEndpoint;
		let workflow: CreatedWorkflow;

		interface Order {
			id: string;
			updated_at: string;
			status?: string;
		}
		const upserted = () =>
			warehouse.requests
				.filter((request) => request.status === 200)
				.flatMap((request) => (request.body as { orders: Order[] }).orders);
		const upsertsPerVersion = () =>
			countBy(upserted(), (order) => `${order.id}@${order.updated_at}`);
		const repeated = () =>
			Object.fromEntries(Object.entries(upsertsPerVersion()).filter(([, count]) => count > 1));
		/** Each poll's first request carries no page cursor. */
		const pollsServed = () => erp.requests.filter((request) => !request.query.cursor).length;

		beforeAll(async () => {
			erp = await startMockChangesApi({
				pathPrefix: '/api/sales-orders',
				cursorField: 'updated_at',
				maxLimit: ERP_PAGE_CAP,
			});
			let calls = 0;
			// The first bulk upsert fails: the template promises those orders come again.
			warehouse = await startRecordingEndpoint(() =>
				++calls === 1
					? { status: 503, body: { error: 'warehouse restarting' } }
					: { status: 200, body: { ok: true } },
			);
			const template = loadTemplate('erp-cursor-sync.json', {
				'https://erp.example.com': erp.url,
				'https://warehouse.example.com': warehouse.url,
			});
			// Changed for test speed only: every second instead of every 15 minutes.
			const fast = patchNode(template, 'ERP Order Changes', (node) => ({
				...node,
				parameters: { ...node.parameters, pollIntervalSeconds: 1 },
			}));
			workflow = await n8n.createWorkflow(fast);
			await n8n.activateWorkflow(workflow);
			// First Run "Start From Now": the first poll only records "now"; the ERP is asked from
			// the second poll on, so an order written after that request is one the sync must see.
			await waitFor('the ERP to be asked for changes', () => erp.requests.length > 0);
		});

		afterAll(async () => {
			await erp?.close();
			await warehouse?.close();
		});

		it("upserts every changed order once, ties across pages included, the failed upsert's orders coming again", async () => {
			erp.setClock(Date.now());
			// 23 orders, three per second: ties straddle the ERP's 5-order pages.
			erp.insert(
				Array.from({ length: 23 }, (_, index) => ({
					id: `SO-${1000 + index}`,
					updatedAt: erp.now() - 8000 + Math.floor(index / 3) * 1000,
					customer: `C-${index % 4}`,
					total: 100 + index,
				})),
			);

			await waitFor('23 orders upserted', () => Object.keys(upsertsPerVersion()).length === 23);

			expect(repeated()).toEqual({});
			expect(warehouse.requests[0].status).toBe(503);
			const executions = await n8n.listExecutions(workflow.id);
			expect(executions.map((execution) => execution.status)).toContain('error');
			expect(erp.requests.every((request) => request.path === '/api/sales-orders/changes')).toBe(
				true,
			);
			expect(erp.requests.some((request) => request.query.cursor !== undefined)).toBe(true);
			expect(erp.requests.every((request) => request.query.limit === '500')).toBe(true);
		});

		it('upserts changed orders again as new versions and catches a late write in the lookback, once each', async () => {
			// 6 new versions: 2 updates, 3 new orders, 1 late write.
			erp.setClock(Date.now());
			erp.update('SO-1004', { status: 'shipped' });
			erp.update('SO-1005', { status: 'shipped' });
			erp.insert(['SO-2000', 'SO-2001', 'SO-2002'].map((id) => ({ id, total: 5 })));
			// Committed upstream 5 minutes ago but visible only now; the 10-minute lookback finds it.
			erp.insertLate({ id: 'SO-LATE', updatedAt: erp.now() - 5 * 60_000, total: 7 });

			await waitFor(
				'29 order versions upserted',
				() => Object.keys(upsertsPerVersion()).length === 29,
			);
			// Nothing comes twice later either: three more polls re-read the lookback window.
			const polls = pollsServed();
			await waitFor('three more polls', () => pollsServed() >= polls + 3);

			expect(repeated()).toEqual({});
			expect(Object.keys(upsertsPerVersion())).toHaveLength(29);
			const shipped = upserted().filter((order) => order.status === 'shipped');
			expect(shipped.map((order) => order.id).sort()).toEqual(['SO-1004', 'SO-1005']);
		});
	});

	describe('stripe-payment-to-fulfilment.json', () => {
		const SECRET = 'whsec_e2e_template_secret';
		let fulfilment: RecordingEndpoint;
		let workflow: CreatedWorkflow;
		let url: string;
		/** Deliveries answered with a run: a repeat is answered from the inbox and starts none. */
		let runs = 0;

		const stripeEvent = (
			id: string,
			paymentIntent: string,
			{ type = 'payment_intent.succeeded', amount = 4200 } = {},
		) =>
			JSON.stringify({
				id,
				object: 'event',
				type,
				created: Math.floor(Date.now() / 1000),
				data: { object: { id: paymentIntent, object: 'payment_intent', amount, currency: 'eur' } },
			});

		/** Posts the body as Stripe does; counts the deliveries that started an execution. */
		const deliver = async (body: string, secret = SECRET) => {
			const timestamp = Math.floor(Date.now() / 1000);
			const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
			const response = await fetch(url, {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					'stripe-signature': `t=${timestamp},v1=${signature}`,
				},
				body,
			});
			const answer = (await response.json()) as IDataObject;
			const repeat = answer.duplicate ?? answer.inProgress ?? answer.deadLetter;
			if (response.status === 200 && repeat === undefined) runs++;
			return { status: response.status, body: answer };
		};
		const allExecutionsFinished = async () =>
			await n8n.waitForExecutions(workflow.id, runs, 120_000);
		const executionDetails = async () =>
			await Promise.all(
				(await n8n.listExecutions(workflow.id)).map(
					async (execution) => await n8n.getExecution(execution.id),
				),
			);
		const fulfilled = () =>
			countBy(
				fulfilment.requests.filter((request) => request.status === 200),
				(request: RecordedRequest) => (request.body as IDataObject).paymentIntent as string,
			);

		beforeAll(async () => {
			const failOnce = new Set(['pi_flaky', 'pi_sweep']);
			let shipments = 0;
			// The fulfilment API fails the first call for these, as a real one sometimes does.
			fulfilment = await startRecordingEndpoint(({ body }) => {
				if (failOnce.delete((body as IDataObject).paymentIntent as string)) {
					return { status: 502, body: { error: 'bad gateway' } };
				}
				return { status: 200, body: { id: `shp_${++shipments}` } };
			});
			const credential = await n8n.createCredential({
				name: 'Stripe signing secret',
				type: 'webhookSigningSecretApi',
				data: { secret: SECRET, previousSecrets: '' },
			});
			const template = loadTemplate('stripe-payment-to-fulfilment.json', {
				'https://fulfilment.example.com': fulfilment.url,
			});
			// Changed so that only the test runs the sweep (a tick every 5 minutes would land in
			// the middle of the counts): monthly instead, and no grace period after a receipt.
			const sweepByTest = patchNode(
				patchNode(template, 'Every 5 Minutes', (node) => ({
					...node,
					parameters: { rule: { interval: [{ field: 'months' }] } },
				})),
				'Recover Stuck Events',
				(node) => ({ ...node, parameters: { ...node.parameters, graceMinutes: 0 } }),
			);
			const withSecret = withCredential(
				sweepByTest,
				(node) => node.name === 'Stripe Events',
				'SIGNING_SECRET',
				credential,
			);
			workflow = await n8n.createWorkflow(withSecret, { SIGNING_SECRET: credential });
			await n8n.activateWorkflow(workflow);
			const webhookPath = template.nodes.find((node) => node.name === 'Stripe Events')!.parameters
				.path as string;
			url = n8n.webhookUrl(webhookPath);
		});

		afterAll(async () => {
			await fulfilment?.close();
		});

		it('fulfils each payment exactly once, however often and however concurrently it is delivered', async () => {
			const paymentA = stripeEvent('evt_A', 'pi_A');
			const paymentB = stripeEvent('evt_B', 'pi_B', { amount: 990 });
			const flaky = stripeEvent('evt_flaky', 'pi_flaky');

			const burst = await Promise.all([
				...Array.from({ length: 6 }, async () => await deliver(paymentA)),
				deliver(paymentB),
				deliver(stripeEvent('evt_created', 'pi_C', { type: 'payment_intent.created' })),
				deliver(flaky),
			]);
			await allExecutionsFinished();
			// Stripe's retries, after the first attempts finished.
			const retries = [
				await deliver(paymentA),
				await deliver(paymentB),
				await deliver(paymentB),
				await deliver(flaky),
			];
			await allExecutionsFinished();
			// Same payment, another amount: the payload fingerprint stops it.
			const tampered = await deliver(stripeEvent('evt_A_other', 'pi_A', { amount: 1 }));
			// A kept event ID, another amount: the trigger's fingerprint marks it.
			const reusedId = await deliver(stripeEvent('evt_B', 'pi_B', { amount: 1 }));
			await allExecutionsFinished();

			for (const response of [...burst, ...retries, tampered, reusedId])
				expect(response).toMatchObject({ status: 200, body: { received: true } });
			// The 6 deliveries of evt_A ran once; its and evt_B's retries were answered from the inbox.
			expect([burst.filter(({ body }) => body.duplicate ?? body.inProgress).length, runs]).toEqual([
				5, 7,
			]);
			expect(retries.map(({ body }) => body.duplicate ?? false)).toEqual([true, true, true, false]);
			expect(fulfilled()).toEqual({ pi_A: 1, pi_B: 1, pi_flaky: 1 });
			expect(fulfilment.requests).toHaveLength(4);
			const shipmentB = fulfilment.requests.find(
				(request) => (request.body as IDataObject).paymentIntent === 'pi_B',
			)!;
			expect(shipmentB.headers['idempotency-key']).toBe('pi_B');
			expect(shipmentB.body).toMatchObject({ amount: 990, currency: 'eur' });

			const executions = await executionDetails();
			expect(executions).toHaveLength(runs);
			// Only the tampered deliveries' runs fail, on purpose: the error workflow alerts on them.
			const failed = executions.filter((execution) => execution.status !== 'success');
			expect(failed.map((execution) => execution.data.resultData.error?.message).sort()).toEqual([
				expect.stringMatching(
					/^Payment pi_A needs a person: a delivery for it carries another amount or currency than the first one; the event is parked as Dead Letter/,
				),
				expect.stringMatching(
					/^Payment pi_B needs a person: Stripe event evt_B came again with another amount or currency/,
				),
			]);
			const reused = executions.flatMap((execution) => outputItems(execution, 'Route Event', 0));
			expect(reused.map((item) => [item.id, item.idempotency])).toEqual([
				[
					'evt_B',
					expect.objectContaining({ status: 'mismatch', key: 'evt_B', state: 'completed' }),
				],
			]);
			expect(reused[0].idempotency).not.toHaveProperty('token');
			const claimedNew = executions.flatMap((execution) => outputItems(execution, 'Claim Payment'));
			const keyOf = (item: IDataObject) => (item.idempotency as IDataObject).key as string;
			expect(countBy(claimedNew, keyOf)).toEqual({ pi_A: 1, pi_B: 1, pi_flaky: 2 });
			const marked = executions.flatMap((execution) => outputItems(execution, 'Mark Fulfilled'));
			expect(marked.map(keyOf).sort()).toEqual(['pi_A', 'pi_B', 'pi_flaky']);
			const givenBack = executions.flatMap((execution) =>
				outputItems(execution, 'Give Back For Retry'),
			);
			expect(givenBack.map(keyOf)).toEqual(['pi_flaky']);
			// Mark Fulfilled and Give Back For Retry each sent back the token of the claim they finish.
			const claimTokens = keyTokens(executions, 'Claim Payment');
			expect(claimTokens.filter((line) => line.endsWith(' -'))).toEqual([]);
			expect(
				[
					...keyTokens(executions, 'Mark Fulfilled'),
					...keyTokens(executions, 'Give Back For Retry'),
				].sort(),
			).toEqual(claimTokens);
			const mismatched = executions.flatMap((execution) =>
				outputItems(execution, 'Claim Payment', 4),
			);
			expect(mismatched.map((item) => item.id)).toEqual(['evt_A_other']);
			// Each event's claim, taken by the trigger, is finished with its token: done (evt_created
			// by the Other Event branch), given back, or parked as Dead Letter (the tampered one).
			const eventTokens = keyTokens(executions, 'Stripe Events');
			expect(eventTokens.filter((line) => line.endsWith(' -'))).toEqual(['evt_B -']);
			expect(
				[
					...keyTokens(executions, 'Event Done'),
					...keyTokens(executions, 'Give Event Back'),
					...keyTokens(executions, 'Park Event for a Person', 1),
				].sort(),
			).toEqual(eventTokens.filter((line) => !line.endsWith(' -')));
			const parked = executions.flatMap((execution) =>
				outputItems(execution, 'Park Event for a Person', 1),
			);
			expect(parked.map((item) => item.idempotency)).toEqual([
				expect.objectContaining({ key: 'evt_A_other', state: 'deadLetter' }),
			]);
		});

		it('answers a forged delivery with 401 and fulfils nothing', async () => {
			const requestsBefore = fulfilment.requests.length;
			const executionsBefore = runs;

			const forged = await deliver(stripeEvent('evt_forged', 'pi_forged'), 'whsec_not_the_secret');
			// A valid delivery sent after the 401 answer: once its run is done, any run the forged
			// delivery could have started would be in the list too.
			await deliver(stripeEvent('evt_after_forged', 'pi_C', { type: 'payment_intent.created' }));
			await allExecutionsFinished();

			expect(forged).toMatchObject({ status: 401, body: { error: 'signatureInvalid' } });
			expect(runs).toBe(executionsBefore + 1);
			const executions = await executionDetails();
			expect(executions).toHaveLength(runs);
			const triggered = executions.flatMap((execution) => outputItems(execution, 'Stripe Events'));
			expect(triggered.map((item) => item.id)).not.toContain('evt_forged');
			expect(fulfilment.requests).toHaveLength(requestsBefore);
		});

		/** What the editor sends for "Execute workflow" from one trigger, with its saved data if any. */
		const runFrom = async (name: string, data?: ITaskData) => {
			const { executionId } = await n8n.rest<{ executionId: string }>(
				'POST',
				`/workflows/${workflow.id}/run`,
				{ triggerToStartFrom: data ? { name, data } : { name } },
			);
			let finished = await n8n.getExecution(executionId);
			await waitFor(`the run from ${name} to finish`, async () => {
				finished = await n8n.getExecution(executionId);
				return ['success', 'error', 'crashed'].includes(finished.status);
			});
			return finished;
		};

		it("fulfils nothing again when a person re-runs a fulfilled payment's execution", async () => {
			const requestsBefore = fulfilment.requests.length;
			const executions = await executionDetails();
			const fulfilledB = executions.find((execution) =>
				outputItems(execution, 'Mark Fulfilled').some(
					(item) => (item.idempotency as IDataObject).key === 'pi_B',
				),
			)!;
			const rerun = await runFrom(
				'Stripe Events',
				fulfilledB.data.resultData.runData['Stripe Events'][0] as ITaskData,
			);

			expect(rerun.status).toBe('success');
			expect(outputItems(rerun, 'Claim Payment', 1).map((item) => item.idempotency)).toEqual([
				expect.objectContaining({ status: 'duplicate', key: 'pi_B' }),
			]);
			expect(outputItems(rerun, 'Event Done').map((item) => item.idempotency)).toEqual([
				expect.objectContaining({ status: 'alreadyCompleted', key: 'evt_B' }),
			]);
			expect(fulfilment.requests).toHaveLength(requestsBefore);
		});

		it('fulfils from the sweep a payment whose run failed after Stripe had its 200', async () => {
			const answer = await deliver(stripeEvent('evt_sweep', 'pi_sweep'));
			await allExecutionsFinished();
			expect([answer.status, fulfilled().pi_sweep]).toEqual([200, undefined]);

			const sweep = await runFrom('Every 5 Minutes');

			expect(sweep.status).toBe('success');
			expect(outputItems(sweep, 'Recover Stuck Events').map((item) => item.id)).toEqual([
				'evt_sweep',
			]);
			expect(fulfilled().pi_sweep).toBe(1);
			expect(outputItems(sweep, 'Event Done').map((item) => item.idempotency)).toEqual([
				expect.objectContaining({ status: 'completed', key: 'evt_sweep' }),
			]);
		});
	});
});
