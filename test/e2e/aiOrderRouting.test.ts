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

/**
 * The order intake with AI-assisted routing (templates/hybrid-order-intake-ai.json), published in a
 * real n8n against a local Shopify and approval system and a local OpenAI-compatible server that
 * answers each order as the test scripts it: escalate, agree, try to relax the rules, answer
 * malformed or outside the schema, answer too late, fail. The rules must stay in charge: the
 * approved branch is the stricter of the rules' and the model's, and every unusable answer leaves
 * the rules' branch. Each order is approved once and the model asked once per order, however often
 * Shopify delivers it.
 *
 * Only placeholders change (addresses, credentials) and, for test speed, the model's timeout: 3 s
 * instead of 20 s, with the slow answer 8 s late. The last test publishes a second copy with the
 * step turned off as the notes say (Ask the Model disabled), on its own webhook path.
 */

const SHOP_PLACEHOLDER = 'https://your-shop.myshopify.com';
const APPROVALS_PLACEHOLDER = 'https://approvals.example.com';
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
	shop: MockShopApi,
	openAi: MockOpenAiApi,
	edit: (template: WorkflowDefinition) => WorkflowDefinition = (template) => template,
): Promise<{ id: string }> {
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
	return workflow;
}

/** Each order delivered twice at the same moment, a few orders at a time. */
async function inPairs(
	orders: ShopOrder[],
	deliver: (order: ShopOrder) => Promise<void>,
	inFlight = 4,
): Promise<void> {
	for (let start = 0; start < orders.length; start += inFlight)
		await Promise.all(
			orders.slice(start, start + inFlight).flatMap((order) => [deliver(order), deliver(order)]),
		);
}

describe('order intake with AI-assisted routing in a real n8n', () => {
	const orders = sampleOrders(70, { startMs: Date.now() - 3_600_000, stepMs: 1000, seed: 14 });
	const on = (branch: ApprovalBranch) => orders.filter((order) => rulesBranch(order) === branch);
	const [autoEscalated, autoAgreed, autoMalformed, autoSlow] = on('auto');
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
	const unscripted = orders.filter((order) => !scripted.has(order));
	const twiceDelivered = unscripted.slice(0, 50);
	const stepOff = unscripted.slice(50, 55);
	/**
	 * The model for the other orders: every third escalates to finance, every third tries to
	 * auto-approve, the rest agree with the rules.
	 */
	const modelSays = (order: ShopOrder): ApprovalBranch =>
		order.id % 3 === 0 ? 'finance' : order.id % 3 === 1 ? 'auto' : rulesBranch(order);
	const replyFor = (call: ChatCall): ChatReply => {
		const order = orders.find((candidate) => candidate.name === orderNameIn(call));
		if (!order) return { status: 400, error: `No order in the prompt: ${call.prompt}` };
		return scripted.get(order)?.reply ?? answer(modelSays(order), 'Scripted by the test');
	};

	let n8n: N8nInstance;
	let shop: MockShopApi;
	let openAi: MockOpenAiApi;
	let intake: { id: string };
	const answers: Array<{ status: number }> = [];

	const deliver = async (order: ShopOrder, webhookPath = 'shop-orders-create') => {
		const delivery = shopifyDelivery(shop.restOrder(order.id), SIGNING_SECRET, {
			eventId: `order-created-${order.id}`,
		});
		answers.push(await sendShopifyWebhook(n8n.webhookUrl(webhookPath), delivery));
	};
	const details = async (runs: Array<{ id: string }>): Promise<ExecutionDetail[]> => {
		const result: ExecutionDetail[] = [];
		for (const run of runs) result.push(await n8n.getExecution(run.id));
		return result;
	};
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
		n8n = await N8nInstance.start();
		intake = await publishAiIntake(n8n, shop, openAi);
	}, WAIT_MS);

	afterAll(async () => {
		await n8n?.stop();
		await shop?.close();
		await openAi?.close();
	});

	it('has an order for every scripted case', () => {
		expect([...scripted.keys()].every(Boolean)).toBe(true);
		expect(stepOff).toHaveLength(5);
	});

	it(
		'approves the stricter of rules and model, falls back to the rules on a bad or late answer, and asks once per order',
		async () => {
			const first = [...scripted.keys()];
			await Promise.all(first.map(async (order) => await deliver(order)));
			await n8n.waitForExecutions(intake.id, first.length, WAIT_MS);
			// Shopify's retries of every order, after each was approved.
			await Promise.all(first.map(async (order) => await deliver(order)));
			const runs = await n8n.waitForExecutions(intake.id, 2 * first.length, WAIT_MS);

			expect(answers.filter((reply) => reply.status !== 200)).toEqual([]);
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

			// One model call per order, none for the retries, which stopped at Claim Order as
			// Duplicate carrying the stored routing.
			expect(callsFor(first)).toEqual(Object.fromEntries(first.map((order) => [order.name, 1])));
			const duplicates = executions.flatMap((execution) =>
				outputItems(execution, 'Claim Order', 1),
			);
			expect(duplicates.map(keyOf).sort()).toEqual(first.map(idOf).sort());
			expect(duplicates.map((item) => JSON.stringify(item.idempotency))).toEqual(
				first.map(() => expect.stringContaining('"modelUsed"')),
			);
			const claimTokens = keyTokens(executions, 'Claim Order');
			expect(keyTokens(executions, 'Mark Order Done').sort()).toEqual(claimTokens);
		},
		2 * WAIT_MS,
	);

	it(
		'approves 50 orders delivered twice at once exactly once each, asking the model once per order',
		async () => {
			const runsBefore = (await n8n.listExecutions(intake.id)).length;
			await inPairs(twiceDelivered, deliver);
			const runs = await n8n.waitForExecutions(
				intake.id,
				runsBefore + 2 * twiceDelivered.length,
				WAIT_MS,
			);

			expect(answers.filter((reply) => reply.status !== 200)).toEqual([]);
			const executions = await details(runs.slice(0, 2 * twiceDelivered.length));
			expect(executions.filter((execution) => execution.status !== 'success')).toEqual([]);
			expect(
				countBy(approvalsOf(twiceDelivered).map(({ orderId, branch }) => `${orderId} ${branch}`)),
			).toEqual(
				Object.fromEntries(
					twiceDelivered.map((order) => [
						`${idOf(order)} ${stricterOf(rulesBranch(order), modelSays(order))}`,
						1,
					]),
				),
			);
			expect(callsFor(twiceDelivered)).toEqual(
				Object.fromEntries(twiceDelivered.map((order) => [order.name, 1])),
			);
			// The model moved some orders and was refused on others: both paths were taken.
			const used = approvalsOf(twiceDelivered).map((approval) => approval.body.modelUsed);
			expect(new Set(used)).toEqual(new Set([true, false]));
		},
		2 * WAIT_MS,
	);

	it(
		'with Ask the Model disabled, asks no model and approves on the rules alone',
		async () => {
			const offPath = 'shop-orders-create-rules-only';
			const rulesOnly = await publishAiIntake(n8n, shop, openAi, (template) =>
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
});
