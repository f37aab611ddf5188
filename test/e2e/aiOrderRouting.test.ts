import type { IDataObject, INode } from 'n8n-workflow';

import {
	startMockOpenAiApi,
	type ChatCall,
	type ChatReply,
	type MockOpenAiApi,
} from '../support/mockOpenAiApi';
import {
	sampleOrders,
	sendShopifyWebhook,
	shopifyDelivery,
	startMockShopApi,
	type ApprovalBranch,
	type MockShopApi,
	type ShopOrder,
} from '../support/mockShopApi';
import { countBy, rulesBranch } from '../support/orderRules';
import type { RecordingEndpoint } from '../support/recordingEndpoint';
import {
	keyTokens,
	loadTemplate,
	N8nInstance,
	outputItems,
	patchNode,
	withCredential,
	type CreatedCredential,
	type ExecutionDetail,
	type WorkflowDefinition,
} from './harness';
import {
	APPROVALS_PLACEHOLDER,
	inPool,
	nightlyFor,
	publishSweepSoon,
	seededShuffle,
	SHOP_PLACEHOLDER,
	SLACK_PLACEHOLDER,
	startSlack,
	startedRun,
} from './orderIntakeSweep';

/**
 * The order intake with AI-assisted routing (templates/hybrid-order-intake-ai.json), published in a
 * real n8n against a local Shopify and approval system and a local OpenAI-compatible server that
 * answers each order as the test scripts it: escalate, agree, try to relax the rules, answer
 * malformed or outside the schema, answer too late, fail. The rules must stay in charge: the
 * approved branch is the stricter of the rules' and the model's, and every unusable answer leaves
 * the rules' branch. Each order is approved once and the model asked at most once per order, however
 * often Shopify delivers it, whether its run was given back after the model answered, or its
 * webhook was lost and the nightly sweep (templates/nightly-reconciliation.json) recovered it.
 *
 * Only placeholders change (addresses, credentials) and, for test speed, the model's timeout: 3 s
 * instead of 20 s, with the slow answer 8 s late, and the sweep's nightly time (a moment during the
 * test). One test publishes a second copy with the step turned off as the notes say (Ask the Model
 * disabled), on its own webhook path.
 */

const SIGNING_SECRET = 'shpss_e2e_ai_routing_secret';
const ACCESS_TOKEN = 'shpat_e2e_ai_routing_token';
const APPROVAL_TOKEN = 'e2e_ai_routing_approval_token';
const OPENAI_KEY = 'sk-e2e-ai-routing-key';
const MODEL_TIMEOUT_MS = 3_000;
const SLOW_ANSWER_MS = 8_000;
const WAIT_MS = 600_000;

const STRICTNESS: ApprovalBranch[] = ['auto', 'manager', 'finance'];

const stricterOf = (a: ApprovalBranch, b: ApprovalBranch) =>
	STRICTNESS.indexOf(a) >= STRICTNESS.indexOf(b) ? a : b;

/** An answer in the shape the template's Structured Output Parser asks for. */
const answer = (branch: string, reason: string): ChatReply => ({
	content: JSON.stringify({ output: { branch, reason } }),
});

const idOf = (order: ShopOrder) => String(order.id);
const keyOf = (item: IDataObject) => (item.idempotency as IDataObject).key as string;
/** The order a model call is about: the prompt starts with the order's name. */
const orderNameIn = (call: ChatCall) => /^Order (#\d+):/.exec(call.prompt)?.[1];

/** The AI intake as a user sets it up, with the model's credential pointing at the local server. */
async function publishAiIntake(
	n8n: N8nInstance,
	{ shop, openAi, slack }: { shop: MockShopApi; openAi: MockOpenAiApi; slack: RecordingEndpoint },
	edit: (template: WorkflowDefinition) => WorkflowDefinition = (template) => template,
): Promise<{ id: string; credentials: Record<string, CreatedCredential> }> {
	const credentials: Record<string, CreatedCredential> = {
		SIGNING_SECRET: await n8n.createCredential({
			name: 'Shopify webhook secret',
			type: 'webhookSigningSecretApi',
			data: { secret: SIGNING_SECRET, previousSecrets: '' },
		}),
		POLL_TOKEN: await n8n.createCredential({
			name: 'Shop API token (poll)',
			type: 'hybridSyncHttpAuthApi',
			data: { authType: 'header', name: 'X-Shopify-Access-Token', secret: ACCESS_TOKEN },
		}),
		SHOP_TOKEN: await n8n.createCredential({
			name: 'Shop API token',
			type: 'httpHeaderAuth',
			data: { name: 'X-Shopify-Access-Token', value: ACCESS_TOKEN },
		}),
		APPROVAL_TOKEN: await n8n.createCredential({
			name: 'Approval system token',
			type: 'httpHeaderAuth',
			data: { name: 'Authorization', value: `Bearer ${APPROVAL_TOKEN}` },
		}),
		SLACK_BOT: await n8n.createCredential({
			name: 'Slack bot',
			type: 'slackApi',
			data: { accessToken: 'xoxb-e2e-ai-routing' },
		}),
		OPENAI: await n8n.createCredential({
			name: 'OpenAI (local)',
			type: 'openAiApi',
			data: { apiKey: OPENAI_KEY, url: openAi.baseUrl },
		}),
	};
	let template = patchNode(
		loadTemplate('hybrid-order-intake-ai.json', {
			[SHOP_PLACEHOLDER]: shop.url,
			[APPROVALS_PLACEHOLDER]: shop.url,
			[SLACK_PLACEHOLDER]: slack.url,
		}),
		'Routing Model',
		(node) => ({
			...node,
			parameters: {
				...node.parameters,
				options: { ...(node.parameters.options as IDataObject), timeout: MODEL_TIMEOUT_MS },
			},
		}),
	);
	const uses: Record<string, (node: INode) => boolean> = {
		SIGNING_SECRET: (node) => node.name === 'Shopify Order Created',
		POLL_TOKEN: (node) => node.name === 'Shop Orders Poll (Safety Net)',
		SHOP_TOKEN: (node) =>
			node.parameters.genericAuthType === 'httpHeaderAuth' &&
			String(node.parameters.url).includes('/admin/api/'),
		APPROVAL_TOKEN: (node) => node.name === 'Post Approval',
		SLACK_BOT: (node) => node.parameters.nodeCredentialType === 'slackApi',
		OPENAI: (node) => node.name === 'Routing Model',
	};
	for (const [placeholder, credential] of Object.entries(credentials))
		template = withCredential(template, uses[placeholder], placeholder, credential);
	const workflow = await n8n.createWorkflow(edit(template), credentials);
	await n8n.activateWorkflow(workflow);
	return { ...workflow, credentials };
}

describe('order intake with AI-assisted routing in a real n8n', () => {
	const shuffle = seededShuffle(14);
	const orders = sampleOrders(215, { startMs: Date.now() - 3_600_000, stepMs: 1000, seed: 14 });
	const on = (branch: ApprovalBranch) => orders.filter((order) => rulesBranch(order) === branch);
	const [autoEscalated, autoAgreed, autoMalformed, autoSlow, autoGivenBack] = on('auto');
	const [managerEscalated, managerRelaxed, managerOffSchema] = on('manager');
	const [financeRelaxed, financeFailed] = on('finance');
	/** What the model answers for each scripted order, and the branch that must be approved. */
	const scripted = new Map<ShopOrder, { reply: ChatReply; approved: ApprovalBranch }>([
		[
			autoEscalated,
			{ reply: answer('finance', 'Card country differs from shipping'), approved: 'finance' },
		],
		[autoAgreed, { reply: answer('auto', 'Regular customer, small order'), approved: 'auto' }],
		[
			autoMalformed,
			{ reply: { content: 'I think finance should look at this one.' }, approved: 'auto' },
		],
		[
			autoSlow,
			{
				reply: { ...answer('finance', 'Too late to count'), delayMs: SLOW_ANSWER_MS },
				approved: 'auto',
			},
		],
		[
			managerEscalated,
			{ reply: answer('finance', 'Large first order to a new address'), approved: 'finance' },
		],
		[managerRelaxed, { reply: answer('auto', 'Loyal customer, approve it'), approved: 'manager' }],
		[managerOffSchema, { reply: answer('ceo', 'Only the CEO may decide'), approved: 'manager' }],
		[financeRelaxed, { reply: answer('auto', 'Risk looks fine to me'), approved: 'finance' }],
		[
			financeFailed,
			{ reply: { status: 500, error: 'The server had an error' }, approved: 'finance' },
		],
	]);
	const unscripted = orders.filter((order) => !scripted.has(order) && order !== autoGivenBack);
	const twoHundred = unscripted.slice(0, 200);
	const stepOff = unscripted.slice(200);
	// Of the 200, lost webhooks (5 %, the sweep's share); of the rest, half delivered twice at the
	// same moment, half retried later.
	const picked = shuffle(twoHundred);
	const lost = picked.slice(0, 10);
	const twiceAtOnce = new Set(picked.slice(10, 105));
	const retriedLater = picked.slice(105);
	/**
	 * The model for the other orders: every third escalates to finance, every third tries to
	 * auto-approve, the rest agree with the rules.
	 */
	const modelSays = (order: ShopOrder): ApprovalBranch =>
		order.id % 3 === 0 ? 'finance' : order.id % 3 === 1 ? 'auto' : rulesBranch(order);
	const replyFor = (call: ChatCall): ChatReply => {
		const order = orders.find((candidate) => candidate.name === orderNameIn(call));
		if (!order) return { status: 400, error: `No order in the prompt: ${call.prompt}` };
		// Asked a second time, the model would change its mind: a retry must not ask.
		if (order === autoGivenBack)
			return callsFor([order])[order.name] === 1
				? answer('finance', 'Shipping address is a parcel locker abroad')
				: answer('auto', 'Asked again, now it looks fine');
		return scripted.get(order)?.reply ?? answer(modelSays(order), 'Scripted by the test');
	};

	let n8n: N8nInstance;
	let shop: MockShopApi;
	let openAi: MockOpenAiApi;
	let slack: RecordingEndpoint;
	let intake: Awaited<ReturnType<typeof publishAiIntake>>;
	const answers: Array<{ status: number; body: unknown }> = [];

	const deliver = async (order: ShopOrder, webhookPath = 'shop-orders-create') => {
		const delivery = shopifyDelivery(shop.restOrder(order.id), SIGNING_SECRET, {
			eventId: `order-created-${order.id}`,
		});
		answers.push(await sendShopifyWebhook(n8n.webhookUrl(webhookPath), delivery));
	};
	const details = async (runs: Array<{ id: string }>): Promise<ExecutionDetail[]> => {
		const result: ExecutionDetail[] = [];
		await inPool(
			runs.map((run) => async () => result.push(await n8n.getExecution(run.id))),
			4,
		);
		return result;
	};
	const intakeRuns = async () => (await n8n.listExecutions(intake.id)).length;
	const approvalsOf = (some: ShopOrder[]) => {
		const ids = new Set(some.map(idOf));
		return shop.approvals.filter((approval) => ids.has(approval.orderId));
	};
	const bodyOf = (order: ShopOrder) => approvalsOf([order])[0]?.body;
	const callsFor = (some: ShopOrder[]) => {
		const names = new Set(some.map((order) => order.name));
		return countBy(openAi.calls.map(orderNameIn).filter((name) => names.has(name ?? '')));
	};

	beforeAll(async () => {
		shop = await startMockShopApi({
			orders,
			accessToken: ACCESS_TOKEN,
			approvalToken: APPROVAL_TOKEN,
		});
		openAi = await startMockOpenAiApi({ apiKey: OPENAI_KEY, reply: replyFor });
		slack = await startSlack();
		n8n = await N8nInstance.start();
		intake = await publishAiIntake(n8n, { shop, openAi, slack });
	}, WAIT_MS);

	afterAll(async () => {
		await n8n?.stop();
		await shop?.close();
		await openAi?.close();
		await slack?.close();
	});

	it('has an order for every scripted case', () => {
		expect([...scripted.keys(), autoGivenBack].every(Boolean)).toBe(true);
		expect(stepOff).toHaveLength(5);
	});

	it(
		'approves the stricter of rules and model, falls back to the rules on a bad or late answer, and asks once per order',
		async () => {
			const first = [...scripted.keys()];
			await Promise.all(first.map(async (order) => await deliver(order)));
			await n8n.waitForExecutions(intake.id, first.length, WAIT_MS);
			// Shopify's retries of every order, after each was approved: answered as duplicates by
			// the trigger, which kept and claimed each order before answering; no run.
			await Promise.all(first.map(async (order) => await deliver(order)));
			const runs = await n8n.waitForExecutions(intake.id, first.length, WAIT_MS);

			expect(answers.filter((reply) => reply.status !== 200)).toEqual([]);
			expect(answers.slice(first.length).map((reply) => reply.body)).toEqual(
				first.map(() => expect.objectContaining({ received: true, duplicate: true })),
			);
			expect(runs).toHaveLength(first.length);
			const executions = await details(runs);
			expect(executions.filter((execution) => execution.status !== 'success')).toEqual([]);
			expect(approvalsOf(first)).toHaveLength(first.length);
			expect(
				Object.fromEntries(approvalsOf(first).map(({ orderId, branch }) => [orderId, branch])),
			).toEqual(
				Object.fromEntries(first.map((order) => [idOf(order), scripted.get(order)!.approved])),
			);

			// The approval request says what the rules said, what the model said and which counted.
			for (const order of first) {
				const used = scripted.get(order)!.approved !== rulesBranch(order);
				expect({ order: order.name, body: bodyOf(order) }).toEqual({
					order: order.name,
					body: expect.objectContaining({
						branch: scripted.get(order)!.approved,
						rulesBranch: rulesBranch(order),
						modelUsed: used,
						reason: used
							? expect.stringMatching(/^The model asks for a stricter review: /)
							: expect.not.stringContaining('The model'),
					}),
				});
			}
			expect(bodyOf(autoEscalated)).toEqual(
				expect.objectContaining({
					modelBranch: 'finance',
					modelReason: 'Card country differs from shipping',
				}),
			);
			for (const refused of [managerRelaxed, financeRelaxed])
				expect(bodyOf(refused)).toEqual(
					expect.objectContaining({ modelBranch: 'auto', modelUsed: false }),
				);
			for (const unusable of [autoMalformed, autoSlow, managerOffSchema, financeFailed])
				expect({ order: unusable.name, body: bodyOf(unusable) }).toEqual({
					order: unusable.name,
					body: expect.objectContaining({
						modelBranch: 'none',
						modelReason: expect.stringMatching(/^No usable answer, the rules decide: /),
					}),
				});
			// The slow answer was cut off by the model node's timeout, not answered late.
			const slowCall = openAi.calls.find((call) => orderNameIn(call) === autoSlow.name);
			expect(slowCall?.status).toBe(0);
			expect(bodyOf(autoSlow)?.modelReason).toMatch(/timed out|timeout/i);

			// One model call per order, none for the retries. Each order was completed with the
			// routing as its result, under the token of the trigger's claim (no Claim node after it).
			expect(callsFor(first)).toEqual(Object.fromEntries(first.map((order) => [order.name, 1])));
			const done = executions.flatMap((execution) => outputItems(execution, 'Mark Order Done'));
			expect(done.map(keyOf).sort()).toEqual(first.map(idOf).sort());
			expect(done.map((item) => (item.idempotency as IDataObject).result)).toEqual(
				first.map(() => expect.objectContaining({ modelUsed: expect.any(Boolean) })),
			);
			const claimTokens = keyTokens(executions, 'Shopify Order Created');
			expect(claimTokens.filter((line) => line.endsWith(' -'))).toEqual([]);
			expect(keyTokens(executions, 'Mark Order Done').sort()).toEqual(claimTokens.sort());
		},
		2 * WAIT_MS,
	);

	it(
		'asks the model once for an order given back after it answered; the retry is routed on the kept answer',
		async () => {
			const runsBefore = await intakeRuns();
			shop.failApprovals(idOf(autoGivenBack), 1, 503);
			await deliver(autoGivenBack);
			await n8n.waitForExecutions(intake.id, runsBefore + 1, WAIT_MS);
			// Shopify's retry, after the first run gave the order back.
			await deliver(autoGivenBack);
			const [retry, first] = await details(
				(await n8n.waitForExecutions(intake.id, runsBefore + 2, WAIT_MS)).slice(0, 2),
			).then((runs) => runs.sort((a, b) => Number(b.id) - Number(a.id)));

			expect(callsFor([autoGivenBack])).toEqual({ [autoGivenBack.name]: 1 });
			expect([first.status, retry.status]).toEqual(['success', 'success']);
			expect(outputItems(first, 'Give Order Back').map(keyOf)).toEqual([idOf(autoGivenBack)]);
			expect(approvalsOf([autoGivenBack])).toEqual([
				expect.objectContaining({ orderId: idOf(autoGivenBack), branch: 'finance' }),
			]);
			expect(bodyOf(autoGivenBack)).toEqual(
				expect.objectContaining({
					rulesBranch: 'auto',
					modelBranch: 'finance',
					modelReason: 'Shipping address is a parcel locker abroad',
					modelUsed: true,
				}),
			);
			// The retry claimed the order again (the trigger) and read the first run's answer back.
			expect(outputItems(retry, 'Shopify Order Created').map(keyOf)).toEqual([idOf(autoGivenBack)]);
			expect(retry.data.resultData.runData['Ask the Model']).toBeUndefined();
			expect(outputItems(retry, 'Routed Before?')).toEqual([
				expect.objectContaining({
					idempotency: expect.objectContaining({
						state: 'completed',
						result: {
							modelBranch: 'finance',
							modelReason: 'Shipping address is a parcel locker abroad',
						},
					}),
				}),
			]);
		},
		WAIT_MS,
	);

	it(
		'with Ask the Model disabled, asks no model and approves on the rules alone',
		async () => {
			const offPath = 'shop-orders-create-rules-only';
			const rulesOnly = await publishAiIntake(n8n, { shop, openAi, slack }, (template) =>
				patchNode(
					patchNode(template, 'Ask the Model', (node) => ({ ...node, disabled: true })),
					'Shopify Order Created',
					(node) => ({ ...node, parameters: { ...node.parameters, path: offPath } }),
				),
			);
			const callsBefore = openAi.calls.length;
			await Promise.all(stepOff.map(async (order) => await deliver(order, offPath)));
			const runs = await n8n.waitForExecutions(rulesOnly.id, stepOff.length, WAIT_MS);

			const executions = await details(runs);
			expect(executions.filter((execution) => execution.status !== 'success')).toEqual([]);
			expect(openAi.calls.length).toBe(callsBefore);
			expect(
				Object.fromEntries(approvalsOf(stepOff).map(({ orderId, branch }) => [orderId, branch])),
			).toEqual(Object.fromEntries(stepOff.map((order) => [idOf(order), rulesBranch(order)])));
			for (const order of stepOff)
				expect(bodyOf(order)).toEqual(
					expect.objectContaining({
						modelUsed: false,
						modelBranch: 'none',
						modelReason: 'Not asked (the step is off)',
					}),
				);
		},
		WAIT_MS,
	);

	it(
		'approves 200 orders delivered twice, and those whose webhooks were lost by the nightly sweep, each once, asking the model once per order',
		async () => {
			const runsBefore = await intakeRuns();
			const answersBefore = answers.length;
			const delivered = shuffle(twoHundred.filter((order) => !lost.includes(order)));
			await inPool(
				delivered.map((order) =>
					twiceAtOnce.has(order)
						? async () => await Promise.all([deliver(order), deliver(order)])
						: async () => await deliver(order),
				),
				4,
			);
			await n8n.waitForExecutions(intake.id, runsBefore + delivered.length, WAIT_MS);
			// Shopify's retries of the others, after their first delivery was approved.
			await inPool(
				retriedLater.map((order) => async () => await deliver(order)),
				4,
			);
			const started = answers.slice(answersBefore).filter(startedRun).length;
			await n8n.waitForExecutions(intake.id, runsBefore + started, WAIT_MS);

			const sweep = await publishSweepSoon(n8n, nightlyFor(intake, shop, slack));
			const [sweepRun] = await n8n.waitForExecutions(sweep.id, 1, WAIT_MS);
			const sweepExecution = await n8n.getExecution(sweepRun.id);
			expect({
				status: sweepRun.status,
				error: sweepExecution.data.resultData.error?.message,
				recovered: outputItems(sweepExecution, 'Compare With Handled Orders')
					.map((item) => String(item.id))
					.sort(),
			}).toEqual({ status: 'success', error: undefined, recovered: lost.map(idOf).sort() });
			const runs = await n8n.waitForExecutions(
				intake.id,
				runsBefore + started + lost.length,
				WAIT_MS,
			);

			// Every delivery acknowledged; one run per order: a twin delivered at the same moment
			// found the order in progress, a later retry found it approved.
			expect(answers.slice(answersBefore).filter((reply) => reply.status !== 200)).toEqual([]);
			expect(answers.length - answersBefore).toBe(2 * delivered.length);
			expect(started).toBe(delivered.length);
			const executions = await details(runs.slice(0, started + lost.length));
			expect(executions.filter((execution) => execution.status !== 'success')).toEqual([]);
			expect(
				countBy(
					executions.flatMap((execution) =>
						outputItems(execution, 'Shopify Order Created').map(keyOf),
					),
				),
			).toEqual(Object.fromEntries(delivered.map((order) => [idOf(order), 1])));
			const recovered = executions.flatMap((execution) =>
				outputItems(execution, 'Order From Sweep').map((item) => String(item.orderId)),
			);
			expect(recovered.sort()).toEqual(lost.map(idOf).sort());

			expect(
				countBy(approvalsOf(twoHundred).map(({ orderId, branch }) => `${orderId} ${branch}`)),
			).toEqual(
				Object.fromEntries(
					twoHundred.map((order) => [
						`${idOf(order)} ${stricterOf(rulesBranch(order), modelSays(order))}`,
						1,
					]),
				),
			);
			expect(callsFor(twoHundred)).toEqual(
				Object.fromEntries(twoHundred.map((order) => [order.name, 1])),
			);
			// The model moved some orders and was refused on others: both paths were taken.
			const used = approvalsOf(twoHundred).map((approval) => approval.body.modelUsed);
			expect(new Set(used)).toEqual(new Set([true, false]));
		},
		3 * WAIT_MS,
	);
});
