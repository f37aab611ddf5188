import {
	NodeConnectionTypes,
	type AssignmentValue,
	type IDataObject,
	type INode,
	type INodeParameters,
	type ITaskData,
} from 'n8n-workflow';

import {
	sampleOrders,
	sendShopifyWebhook,
	shopifyDelivery,
	startMockShopApi,
	type ApprovalBranch,
	type MockShopApi,
	type ShopOrder,
	type ShopRequest,
} from '../support/mockShopApi';
import { countBy, rulesBranch } from '../support/orderRules';
import type { RecordingEndpoint } from '../support/recordingEndpoint';
import { waitFor } from '../support/waitFor';
import {
	keyTokens,
	loadTemplate,
	N8nInstance,
	outputItems,
	patchNode,
	switchOutputNames,
	withCredential,
	type CreatedCredential,
	type CreatedWorkflow,
	type ExecutionDetail,
	type ExecutionSummary,
	type WorkflowDefinition,
} from './harness';
import {
	APPROVALS_PLACEHOLDER,
	inPool,
	nightlyFor,
	postsToSlack,
	publishSweepSoon,
	seededShuffle,
	SHOP_PLACEHOLDER,
	SLACK_PLACEHOLDER,
	startSlack,
	startedRun,
	usesShopToken,
} from './orderIntakeSweep';

/**
 * The hybrid order intake and the nightly reconciliation templates, imported as users import them
 * and published together in a real n8n against a local Shopify, approval system and Slack. Only
 * placeholders change: their URLs, the credentials, the intake's workflow ID in the sweep; and, for
 * test speed, the sweep's nightly time (moved to a moment during the test) and the intake's poll
 * interval (3 seconds instead of 15 minutes).
 *
 * 200 orders placed in the last hours; Shopify's webhooks lose 10 (5 %), deliver 20 twice (10 at
 * the same moment, 10 as later retries), arrive shuffled, and one approval call fails once before
 * Shopify retries it. Then one sweep. Then a few orders placed now, half of them lost, which the
 * poll must catch. Every order must be approved exactly once, on the branch its data dictates.
 * The webhook's orders are claimed by the trigger itself (version 3, Keep and Claim): a repeat of
 * an order approved or in progress is acknowledged and starts no run.
 *
 * The poll does not race the sweep for the 200: it starts from the moment it is published ("Start
 * From Now", 5 minutes of lookback), and they were all placed an hour or more before that. So the
 * sweep's report is exactly the webhooks' losses, and the poll is seen converging on its own share.
 */

const SLACK_TOKEN = 'xoxb-e2e-order-alerts';
const SIGNING_SECRET = 'shpss_e2e_order_intake_secret';
const ACCESS_TOKEN = 'shpat_e2e_order_intake_token';
const APPROVAL_TOKEN = 'e2e_approval_system_token';
const ORDER_COUNT = 200;
/** The shop answers at most this many orders a page, whatever the sweep asks: 4 pages. */
const SHOP_PAGE_CAP = 50;
const POLL_EVERY_SECONDS = 3;
const HOUR_MS = 3_600_000;
const WAIT_MS = 600_000;

const TRIGGER = 'Shopify Order Created';
/** The Claim before the first Shopify call that stops a re-run of a finished execution. */
const GUARD = 'Still Ours? (re-run guard)';

const idOf = (order: ShopOrder) => String(order.id);
const keyOf = (item: IDataObject) => (item.idempotency as IDataObject).key as string;
const sorted = (values: string[]) => [...values].sort();

/** A Slack credential the alert nodes post with; the recorded requests carry its token. */
async function slackCredential(n8n: N8nInstance): Promise<CreatedCredential> {
	return await n8n.createCredential({
		name: 'Slack bot',
		type: 'slackApi',
		data: { accessToken: SLACK_TOKEN },
	});
}

/** The list requests of the sweep: its first page reaches 72 hours back, then it pages. */
const isSweepPage = (request: ShopRequest) =>
	request.route === 'orders.json' &&
	(request.query.page_info !== undefined ||
		Date.parse(request.query.created_at_min) < Date.now() - 24 * HOUR_MS);
/** The list requests of the intake's poll: the others. */
const isPoll = (request: ShopRequest) => request.route === 'orders.json' && !isSweepPage(request);

/**
 * The intake template as a user sets it up: the addresses of the shop, the approval system and
 * Slack; Shopify's signing secret, the shop's access token (HTTP nodes and poll), the approval
 * system's token and a Slack bot; published. Besides `edit` (a change the test names), only the
 * poll interval may change, for test speed.
 */
async function publishIntake(
	n8n: N8nInstance,
	shop: MockShopApi,
	{
		pollEverySeconds,
		edit = (template) => template,
		publish = true,
		slack,
	}: {
		pollEverySeconds?: number;
		/** Where the alerts post; none expected when not given. */
		slack?: RecordingEndpoint;
		/** False: only saved, as a user tries the workflow in the editor before publishing it. */
		publish?: boolean;
		/** What the user changed in the template besides its placeholders and credentials. */
		edit?: (template: WorkflowDefinition) => WorkflowDefinition;
	} = {},
): Promise<CreatedWorkflow & { credentials: Record<string, CreatedCredential> }> {
	const signingSecret = await n8n.createCredential({
		name: 'Shopify webhook secret',
		type: 'webhookSigningSecretApi',
		data: { secret: SIGNING_SECRET, previousSecrets: '' },
	});
	const shopToken = await n8n.createCredential({
		name: 'Shop API token',
		type: 'httpHeaderAuth',
		data: { name: 'X-Shopify-Access-Token', value: ACCESS_TOKEN },
	});
	const pollToken = await n8n.createCredential({
		name: 'Shop API token (poll)',
		type: 'hybridSyncHttpAuthApi',
		data: { authType: 'header', name: 'X-Shopify-Access-Token', secret: ACCESS_TOKEN },
	});
	const approvalToken = await n8n.createCredential({
		name: 'Approval system token',
		type: 'httpHeaderAuth',
		data: { name: 'Authorization', value: `Bearer ${APPROVAL_TOKEN}` },
	});
	let template = edit(
		loadTemplate('hybrid-order-intake.json', {
			[SHOP_PLACEHOLDER]: shop.url,
			[APPROVALS_PLACEHOLDER]: shop.url,
			...(slack ? { [SLACK_PLACEHOLDER]: slack.url } : {}),
		}),
	);
	if (pollEverySeconds !== undefined) {
		template = patchNode(template, 'Shop Orders Poll (Safety Net)', (node) => ({
			...node,
			parameters: { ...node.parameters, pollIntervalSeconds: pollEverySeconds },
		}));
	}
	template = withCredential(
		template,
		(node) => node.name === 'Shopify Order Created',
		'SIGNING_SECRET',
		signingSecret,
	);
	template = withCredential(
		template,
		(node) => node.name === 'Shop Orders Poll (Safety Net)',
		'POLL_TOKEN',
		pollToken,
	);
	template = withCredential(template, usesShopToken, 'SHOP_TOKEN', shopToken);
	template = withCredential(
		template,
		(node) => node.name === 'Post Approval',
		'APPROVAL_TOKEN',
		approvalToken,
	);
	const slackBot = await slackCredential(n8n);
	template = withCredential(template, postsToSlack, 'SLACK_BOT', slackBot);
	const credentials = {
		SIGNING_SECRET: signingSecret,
		POLL_TOKEN: pollToken,
		SHOP_TOKEN: shopToken,
		APPROVAL_TOKEN: approvalToken,
		SLACK_BOT: slackBot,
	};
	const workflow = await n8n.createWorkflow(template, credentials);
	if (publish) await n8n.activateWorkflow(workflow);
	return { ...workflow, credentials };
}

describe('hybrid order intake and nightly reconciliation in a real n8n', () => {
	const shuffle = seededShuffle(2026);
	// Placed 3 to 1 hours ago: inside the sweep's 72 hours, before the poll's starting point.
	const orders = sampleOrders(ORDER_COUNT, {
		startMs: Date.now() - 3 * HOUR_MS,
		stepMs: 36_000,
		seed: 42,
	});
	const picked = shuffle(orders);
	const lost = picked.slice(0, 10);
	const twiceAtOnce = new Set(picked.slice(10, 20));
	const retriedLater = picked.slice(20, 30);
	const failsOnce = picked[30];
	const delivered = orders.filter((order) => !lost.includes(order));

	let n8n: N8nInstance;
	let shop: MockShopApi;
	let slack: RecordingEndpoint;
	let intake: Awaited<ReturnType<typeof publishIntake>>;
	let nightly: WorkflowDefinition;
	const answers: Array<{ status: number; body: unknown }> = [];

	/** Shopify's delivery of the order's orders/create event; a retry carries the same event ID. */
	const deliver = async (order: ShopOrder) => {
		const delivery = shopifyDelivery(shop.restOrder(order.id), SIGNING_SECRET, {
			eventId: `order-created-${order.id}`,
		});
		answers.push(await sendShopifyWebhook(n8n.webhookUrl('shop-orders-create'), delivery));
	};
	/** One run per delivery the trigger claimed; repeats are acknowledged and start nothing. */
	const started = () => answers.filter(startedRun).length;
	const approvedBranches = () => {
		const branches: Record<string, ApprovalBranch[]> = {};
		for (const { orderId, branch } of shop.approvals) (branches[orderId] ??= []).push(branch);
		return branches;
	};
	const onceOnItsBranch = (expected: ShopOrder[]) =>
		Object.fromEntries(expected.map((order) => [idOf(order), [rulesBranch(order)]]));
	const details = async (executions: ExecutionSummary[]): Promise<ExecutionDetail[]> => {
		const result: ExecutionDetail[] = [];
		await inPool(
			executions.map((execution) => async () => result.push(await n8n.getExecution(execution.id))),
			4,
		);
		return result;
	};

	beforeAll(async () => {
		shop = await startMockShopApi({
			orders,
			accessToken: ACCESS_TOKEN,
			approvalToken: APPROVAL_TOKEN,
			maxLimit: SHOP_PAGE_CAP,
		});
		slack = await startSlack();
		n8n = await N8nInstance.start();
		intake = await publishIntake(n8n, shop, { pollEverySeconds: POLL_EVERY_SECONDS, slack });
		nightly = nightlyFor(intake, shop, slack);
	}, WAIT_MS);

	afterAll(async () => {
		await n8n?.stop();
		await shop?.close();
		await slack?.close();
	});

	it(
		'approves each delivered order once, on its branch, whatever is duplicated, concurrent, shuffled or failed once',
		async () => {
			shop.failApprovals(idOf(failsOnce), 1, 503);

			await inPool(
				shuffle(delivered).map((order) =>
					twiceAtOnce.has(order)
						? async () => await Promise.all([deliver(order), deliver(order)])
						: async () => await deliver(order),
				),
				6,
			);
			await n8n.waitForExecutions(intake.id, started(), WAIT_MS);
			// Shopify's retries, after the first attempts finished: failsOnce's run gave it back.
			await inPool(
				[...retriedLater, failsOnce].map((order) => async () => await deliver(order)),
				6,
			);
			const runs = await n8n.waitForExecutions(intake.id, started(), WAIT_MS);

			expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
			expect(answers).toHaveLength(delivered.length + twiceAtOnce.size + retriedLater.length + 1);
			expect(approvedBranches()).toEqual(onceOnItsBranch(delivered));
			expect(new Set(delivered.map(rulesBranch))).toEqual(new Set(['finance', 'manager', 'auto']));
			const failedCalls = shop.requests.filter(
				(request) => request.path === '/api/approvals' && request.status !== 201,
			);
			expect(failedCalls.map((request) => request.status)).toEqual([503]);

			const executions = await details(runs);
			expect(executions).toHaveLength(started());
			expect(executions.filter((execution) => execution.status !== 'success')).toEqual([]);
			const claimedNew = executions.flatMap((execution) =>
				outputItems(execution, 'Shopify Order Created'),
			);
			expect(countBy(claimedNew.map(keyOf))).toEqual({
				...Object.fromEntries(delivered.map((order) => [idOf(order), 1])),
				[idOf(failsOnce)]: 2,
			});
			// Duplicate (already done) or In Progress (the twin is running): acknowledged by the
			// trigger, which kept and claimed the order before answering, and no run started.
			const turnedAway = answers.filter((answer) => !startedRun(answer));
			expect(sorted(turnedAway.map((answer) => String((answer.body as IDataObject).id)))).toEqual(
				sorted([...twiceAtOnce, ...retriedLater].map(idOf)),
			);
			const givenBack = executions.flatMap((execution) =>
				outputItems(execution, 'Give Order Back'),
			);
			expect(givenBack.map(keyOf)).toEqual([idOf(failsOnce)]);
			// Every claim (the trigger's: no Claim node on the webhook path) was finished with its own
			// fencing token, read from the claim across the HTTP nodes that replaced the item.
			expect(
				executions.filter((execution) => execution.data.resultData.runData['Claim Order']),
			).toEqual([]);
			const claimTokens = keyTokens(executions, 'Shopify Order Created');
			expect(claimTokens.filter((line) => line.endsWith(' -'))).toEqual([]);
			expect(
				[
					...keyTokens(executions, 'Mark Order Done'),
					...keyTokens(executions, 'Give Order Back'),
				].sort(),
			).toEqual(claimTokens);
		},
		2 * WAIT_MS,
	);

	it(
		'sweeps once at night: recovers the 5 % the webhooks lost through the intake, once each, and alerts',
		async () => {
			const runsBefore = started();
			const sweep = await publishSweepSoon(n8n, nightly);
			const [sweepRun] = await n8n.waitForExecutions(sweep.id, 1, WAIT_MS);
			const execution = await n8n.getExecution(sweepRun.id);
			const reconcile = (output: number) =>
				outputItems(execution, 'Compare With Handled Orders', output);

			expect({
				status: sweepRun.status,
				failedNode: execution.data.resultData.lastNodeExecuted,
				error: execution.data.resultData.error?.message,
			}).toEqual(expect.objectContaining({ status: 'success', error: undefined }));
			expect(sorted(reconcile(0).map((item) => String(item.id)))).toEqual(sorted(lost.map(idOf)));
			expect(reconcile(0).every((item) => (item.reconcile as IDataObject).claimed)).toBe(true);
			expect(reconcile(5)).toEqual([
				expect.objectContaining({
					processed: ORDER_COUNT,
					alreadyHandled: ORDER_COUNT - lost.length,
					recovered: 10,
					recoveryRate: 0.05,
					recoveryRatePercent: 5,
					alert: true,
				}),
			]);
			expect(reconcile(6)).toEqual(reconcile(5));
			expect(slack.requests.map((request) => request.body)).toEqual([
				{
					channel: '#order-alerts',
					text: expect.stringContaining('recovered 10 of 200 orders (5 %)'),
				},
			]);
			expect(slack.requests[0].headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);

			expect(approvedBranches()).toEqual(onceOnItsBranch(orders));
			// The sweep read its window page by page. The poll kept asking, and was never answered
			// one of the 200: they were placed before it started.
			const sweepPages = shop.requests.filter(isSweepPage);
			expect(sweepPages.map((request) => Boolean(request.query.page_info))).toEqual([
				false,
				true,
				true,
				true,
			]);
			expect(sweepPages.flatMap((request) => request.served)).toHaveLength(ORDER_COUNT);
			// Shopify refuses a next page that repeats the first page's filters: only its link's.
			expect(sweepPages.slice(1).map((request) => Object.keys(request.query).sort())).toEqual(
				Array.from({ length: 3 }, () => ['limit', 'page_info']),
			);
			const polls = shop.requests.filter(isPoll);
			expect(polls.length).toBeGreaterThan(0);
			expect(polls.flatMap((request) => request.served)).toEqual([]);

			// One intake run per recovered order, the sweep's calls: each entered without claiming
			// (the sweep holds the order).
			const intakeRuns = await n8n.waitForExecutions(intake.id, runsBefore + lost.length, WAIT_MS);
			expect(intakeRuns).toHaveLength(runsBefore + lost.length);
			const recoveries = await details(intakeRuns.slice(0, lost.length));
			expect(recoveries.filter((run) => run.status !== 'success')).toEqual([]);
			expect(recoveries.filter((run) => run.data.resultData.runData['Claim Order'])).toEqual([]);
			expect(
				recoveries.map((run) =>
					outputItems(run, 'Order From Sweep').map((item) => `${item.orderId}`),
				),
			).toEqual(expect.arrayContaining(lost.map((order) => [idOf(order)])));
			expect(
				sorted(recoveries.flatMap((run) => outputItems(run, 'Mark Order Done').map(keyOf))),
			).toEqual(sorted(lost.map(idOf)));
			// Each recovery completed with the token of the sweep's claim.
			const sweepTokens = keyTokens([execution], 'Compare With Handled Orders');
			expect(sweepTokens.filter((line) => line.endsWith(' -'))).toEqual([]);
			expect(keyTokens(recoveries, 'Mark Order Done')).toEqual(sweepTokens);
		},
		2 * WAIT_MS,
	);

	it(
		'converges on orders placed now: the poll approves those whose webhook was lost, and each order once whichever path comes first',
		async () => {
			const runsBefore = (await n8n.listExecutions(intake.id)).length;
			const placedNow = sampleOrders(4, {
				startMs: Date.now(),
				stepMs: 1,
				seed: 9,
				firstId: 5_200_000_001,
			});
			const [, , lateWebhook, neverDelivered] = placedNow;
			const answeredToPoll = () =>
				new Set(shop.requests.filter(isPoll).flatMap((request) => request.served));

			shop.insert(placedNow);
			// Two webhooks race the poll; the other two are lost (for now).
			const answersBefore = answers.length;
			await Promise.all(placedNow.slice(0, 2).map(deliver));
			await waitFor(
				'the poll to be answered the 4 new orders',
				() => placedNow.every((order) => answeredToPoll().has(order.id)),
				WAIT_MS,
			);
			// The webhook runs (a webhook that came after the poll claimed its order started none)
			// and the poll's one run: all four came in one answer.
			const webhookRuns = answers.slice(answersBefore).filter(startedRun).length;
			await n8n.waitForExecutions(intake.id, runsBefore + webhookRuns + 1, WAIT_MS);
			// Shopify delivers one lost webhook after all, late: the poll's run approved it.
			await deliver(lateWebhook);
			const runs = await n8n.waitForExecutions(intake.id, runsBefore + webhookRuns + 1, WAIT_MS);

			expect(runs).toHaveLength(runsBefore + webhookRuns + 1);
			expect(answers[answers.length - 1]).toEqual({
				status: 200,
				body: expect.objectContaining({ duplicate: true, id: idOf(lateWebhook) }),
			});
			expect(approvedBranches()).toEqual(onceOnItsBranch([...orders, ...placedNow]));
			const newRuns = await details(runs.slice(0, webhookRuns + 1));
			expect(newRuns.filter((execution) => execution.status !== 'success')).toEqual([]);
			// Claimed once each: by the trigger (the webhook came first) or by the poll's Claim Order.
			const claimNodes = ['Shopify Order Created', 'Claim Order'];
			const claimedNew = newRuns.flatMap((execution) =>
				claimNodes.flatMap((node) => outputItems(execution, node)),
			);
			expect(countBy(claimedNew.map(keyOf))).toEqual(
				Object.fromEntries(placedNow.map((order) => [idOf(order), 1])),
			);
			const cameVia = Object.fromEntries(
				claimedNew.map((item) => [keyOf(item), item.receivedVia ?? item.source]),
			);
			expect(cameVia[idOf(lateWebhook)]).toBe('poll');
			expect(cameVia[idOf(neverDelivered)]).toBe('poll');
			// Every run completed its orders with its claim's tokens.
			const claimTokens = claimNodes.flatMap((node) => keyTokens(newRuns, node));
			expect(keyTokens(newRuns, 'Mark Order Done').sort()).toEqual(claimTokens.sort());
			expect(claimTokens.filter((line) => line.endsWith(' -'))).toEqual([]);
		},
		2 * WAIT_MS,
	);
});

const ROUTE_NODE = 'Route by Risk and Value';
const RULES_NODE = 'Approval Rules';

interface RoutingCase {
	edge: string;
	order: ShopOrder;
	/** The Switch output the order must leave by. */
	route: string;
}

interface Routing {
	/** Order ID -> the name of the Switch output it left by. */
	routes: Map<string, string>;
	/** The error of every execution that did not succeed. */
	errors: Array<string | undefined>;
	approvals: MockShopApi['approvals'];
}

let nextEdgeOrderId = 5_300_000_001;

/**
 * A returning (12 orders) customer's order of 120 EUR placed an hour ago that Shopify recommends
 * accepting, with `facts` changed: only the facts a case names can change its route.
 */
function edgeOrder(facts: Partial<ShopOrder>): ShopOrder {
	const id = nextEdgeOrderId++;
	const placedAt = new Date(Date.now() - HOUR_MS).toISOString();
	return {
		id,
		name: `#E${id % 1000}`,
		total_price: '120.00',
		currency: 'EUR',
		riskRecommendation: 'ACCEPT',
		customer: { id: 2_000_000_000 + id, orders_count: 12 },
		created_at: placedAt,
		updated_at: placedAt,
		...facts,
	};
}

/**
 * Publishes the intake (as shipped, or as `edit` changes it) in a fresh n8n, delivers each case's
 * order through Shopify's signed webhook, and answers which Switch output each order left by.
 */
async function routeThroughIntake(
	cases: RoutingCase[],
	edit?: (template: WorkflowDefinition) => WorkflowDefinition,
): Promise<Routing> {
	const shop = await startMockShopApi({
		orders: cases.map(({ order }) => order),
		accessToken: ACCESS_TOKEN,
		approvalToken: APPROVAL_TOKEN,
	});
	const n8n = await N8nInstance.start();
	try {
		const intake = await publishIntake(n8n, shop, { edit });
		for (const { order } of cases) {
			const delivery = shopifyDelivery(shop.restOrder(order.id), SIGNING_SECRET);
			const answer = await sendShopifyWebhook(n8n.webhookUrl('shop-orders-create'), delivery);
			if (answer.status !== 200)
				throw new Error(`Delivery of ${order.id} answered ${answer.status}`);
		}
		const runs = await n8n.waitForExecutions(intake.id, cases.length, WAIT_MS);
		const outputNames = switchOutputNames(intake, ROUTE_NODE);
		const routing: Routing = { routes: new Map(), errors: [], approvals: shop.approvals };
		for (const run of runs) {
			const execution = await n8n.getExecution(run.id);
			if (execution.status !== 'success')
				routing.errors.push(execution.data.resultData.error?.message);
			outputNames.forEach((name, output) => {
				for (const item of outputItems(execution, ROUTE_NODE, output))
					routing.routes.set(String(item.orderId), name);
			});
		}
		return routing;
	} finally {
		await n8n.stop();
		await shop.close();
	}
}

/** The orders of the cases that leave by one of `routes`. */
const idsRoutedTo = (cases: RoutingCase[], ...routes: string[]) =>
	sorted(cases.filter(({ route }) => routes.includes(route)).map(({ order }) => idOf(order)));
const idsApprovedOn = (routing: Routing, branch: ApprovalBranch) =>
	sorted(routing.approvals.filter((approval) => approval.branch === branch).map((a) => a.orderId));

/**
 * Where the intake routes each order, checked at the edges of its rules in a real n8n: the order
 * comes in through Shopify's signed webhook, is looked up in the shop and routed by the template's
 * own Switch.
 */
describe('hybrid order intake routes each order on the facts it has, failing closed', () => {
	const cases: RoutingCase[] = [
		{
			edge: 'a total just under the threshold (Shopify sends "499.99", a string)',
			order: edgeOrder({ total_price: '499.99' }),
			route: 'Auto-Approve',
		},
		{
			edge: 'a total at the threshold',
			order: edgeOrder({ total_price: '500.00' }),
			route: 'Manager Approval',
		},
		{ edge: 'no total', order: edgeOrder({ total_price: undefined }), route: 'Needs Review' },
		{
			edge: "a first-time customer's order",
			order: edgeOrder({ customer: { id: 2_100_000_001, orders_count: 1 } }),
			route: 'Finance Review',
		},
		{
			edge: 'a high-risk order (Shopify recommends cancelling)',
			order: edgeOrder({ riskRecommendation: 'CANCEL' }),
			route: 'Finance Review',
		},
		{
			edge: 'an order Shopify recommends investigating',
			order: edgeOrder({ riskRecommendation: 'INVESTIGATE' }),
			route: 'Finance Review',
		},
		{
			edge: 'an order without a risk recommendation',
			order: edgeOrder({ riskRecommendation: 'NONE' }),
			route: 'Needs Review',
		},
		{
			edge: 'another currency than the rules',
			order: edgeOrder({ currency: 'USD' }),
			route: 'Needs Review',
		},
	];
	let routing: Routing;

	beforeAll(async () => {
		routing = await routeThroughIntake(cases);
	}, WAIT_MS);

	it('runs every order to its end without an error', () => {
		expect(routing.errors).toEqual([]);
	});

	it.each(cases)('routes $edge to $route', ({ order, route }) => {
		expect(routing.routes.get(idOf(order))).toBe(route);
	});

	it('approves automatically only the orders whose every fact is present and within the rules', () => {
		expect(idsApprovedOn(routing, 'auto')).toEqual(idsRoutedTo(cases, 'Auto-Approve'));
		expect(idsApprovedOn(routing, 'manager')).toEqual(idsRoutedTo(cases, 'Manager Approval'));
		expect(idsApprovedOn(routing, 'finance')).toEqual(
			idsRoutedTo(cases, 'Finance Review', 'Needs Review'),
		);
	});

	it('gives every approval a reason that states the rule it met', () => {
		const reasons = Object.fromEntries(
			routing.approvals.map((approval) => [approval.orderId, String(approval.body.reason)]),
		);
		const reasonOf = (edge: string) => reasons[idOf(cases.find((c) => c.edge === edge)!.order)];

		expect(reasonOf('a total at the threshold')).toBe('A total of 500 EUR or more: 500 EUR');
		expect(reasonOf('no total')).toMatch(/^No rule matched.*total missing EUR/);
		expect(reasonOf('a high-risk order (Shopify recommends cancelling)')).toMatch(
			/^Finance reviews risk CANCEL or INVESTIGATE .*risk is CANCEL/,
		);
	});
});

/**
 * An analyst's changes, made on a copy of the template exactly as in the editor: one value changed
 * in Approval Rules (the manager threshold), and a Fraud Hold branch added by one new value there
 * and one Switch rule, wired to Needs Review. No Code node, no JavaScript.
 */
describe('an analyst changes the rules in Approval Rules and one Switch rule', () => {
	const fraudHoldRule = {
		conditions: {
			options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
			conditions: [
				{
					id: 'fraud-hold-large',
					leftValue: '={{ $json.total }}',
					rightValue: "={{ $('Approval Rules').item.json.fraudHoldFrom }}",
					operator: { type: 'number', operation: 'gte' },
				},
				{
					id: 'fraud-hold-new-customer',
					leftValue: '={{ $json.customerOrdersCount }}',
					rightValue: "={{ $('Approval Rules').item.json.newCustomerMaxOrders }}",
					operator: { type: 'number', operation: 'lte' },
				},
			],
			combinator: 'and',
		},
		renameOutput: true,
		outputKey: 'Fraud Hold',
	};
	const firstTimeCustomer = () => ({ id: nextEdgeOrderId + 7_000, orders_count: 1 });
	const cases: RoutingCase[] = [
		{
			edge: '499.99, now above the lowered threshold',
			order: edgeOrder({ total_price: '499.99' }),
			route: 'Manager Approval',
		},
		{
			edge: '299.99, under it',
			order: edgeOrder({ total_price: '299.99' }),
			route: 'Auto-Approve',
		},
		{
			edge: "a first-time customer's 1,200 EUR order",
			order: edgeOrder({ total_price: '1200.00', customer: firstTimeCustomer() }),
			route: 'Fraud Hold',
		},
		{
			edge: "a first-time customer's 120 EUR order",
			order: edgeOrder({ customer: firstTimeCustomer() }),
			route: 'Finance Review',
		},
		{ edge: 'no total', order: edgeOrder({ total_price: undefined }), route: 'Needs Review' },
	];
	let routing: Routing;

	beforeAll(async () => {
		routing = await routeThroughIntake(cases, (template) =>
			addSwitchRuleFirst(
				setApprovalRule(setApprovalRule(template, 'managerThreshold', 300), 'fraudHoldFrom', 1000),
				fraudHoldRule,
				'Needs Review',
			),
		);
	}, WAIT_MS);

	it('runs every order to its end without an error', () => {
		expect(routing.errors).toEqual([]);
	});

	it.each(cases)('routes $edge to $route', ({ order, route }) => {
		expect(routing.routes.get(idOf(order))).toBe(route);
	});

	it('posts each order on the branch of the output it left by; the held order goes to finance', () => {
		expect(idsApprovedOn(routing, 'auto')).toEqual(idsRoutedTo(cases, 'Auto-Approve'));
		expect(idsApprovedOn(routing, 'manager')).toEqual(idsRoutedTo(cases, 'Manager Approval'));
		expect(idsApprovedOn(routing, 'finance')).toEqual(
			idsRoutedTo(cases, 'Fraud Hold', 'Finance Review', 'Needs Review'),
		);
	});
});

/**
 * The sweep hands the missing orders to the intake one per run. One of those runs fails, as any run
 * can (here the intake's copy stops on a failed order lookup instead of giving the order back, and
 * the shop fails that order's lookup): the other orders are still approved, the failure is posted
 * to Slack, and the sweep still reports and alerts.
 */
describe('the nightly sweep, when one recovered order fails in the intake', () => {
	const orders = sampleOrders(6, {
		startMs: Date.now() - 2 * HOUR_MS,
		stepMs: 60_000,
		seed: 11,
		firstId: 5_500_000_001,
	});
	const failing = orders[2];
	let n8n: N8nInstance;
	let shop: MockShopApi;
	let slack: RecordingEndpoint;
	let execution: ExecutionDetail;
	const handOff = (output: number) => outputItems(execution, 'Process Recovered Orders', output);

	beforeAll(async () => {
		shop = await startMockShopApi({
			orders,
			accessToken: ACCESS_TOKEN,
			approvalToken: APPROVAL_TOKEN,
		});
		slack = await startSlack();
		n8n = await N8nInstance.start();
		const intake = await publishIntake(n8n, shop, {
			slack,
			edit: (template) =>
				patchNode(template, 'Get Full Order', (node) => ({ ...node, onError: 'stopWorkflow' })),
		});
		shop.failOrderLookups(failing.id, 100, 500);
		const sweep = await publishSweepSoon(n8n, nightlyFor(intake, shop, slack));
		const [run] = await n8n.waitForExecutions(sweep.id, 1, WAIT_MS);
		execution = await n8n.getExecution(run.id);
	}, WAIT_MS);

	afterAll(async () => {
		await n8n?.stop();
		await shop?.close();
		await slack?.close();
	});

	it('finishes the sweep; the failed hand-off leaves by its error output', () => {
		expect(execution.status).toBe('success');
		expect(handOff(1)).toEqual([
			expect.objectContaining({ id: failing.id, error: expect.any(String) }),
		]);
	});

	it('approves every other order', () => {
		expect(sorted(shop.approvals.map((approval) => approval.orderId))).toEqual(
			sorted(orders.filter((order) => order !== failing).map(idOf)),
		);
	});

	it('still reports, alerts on the recovery rate, and posts the failed order to Slack', () => {
		expect(outputItems(execution, 'Sweep Report')).toEqual([
			expect.objectContaining({ processed: orders.length, recovered: orders.length, alert: true }),
		]);
		const texts = slack.requests.map((request) => String((request.body as IDataObject).text));
		expect(texts).toEqual(
			expect.arrayContaining([
				expect.stringContaining(`recovered ${orders.length} of ${orders.length} orders`),
				expect.stringMatching(
					new RegExp(`order ${failing.id} needs a person: its recovery run failed`),
				),
			]),
		);
		expect(texts).toHaveLength(2);
	});
});

/**
 * A run overtaken by a later one: its approval call took longer than its lease, Shopify's retry
 * claimed the order and finished it, then the slow run goes on. Its Mark Order Done must change
 * nothing and say so: the order leaves by Lost Claim to Slack. The slowness is made exact instead of
 * timed: the intake's copy waits after Post Approval until the test resumes it (a Wait node, as n8n
 * resumes one through its waiting webhook), and the trigger's lease is cut to its minimum.
 */
describe('a run that lost its claim to a later one', () => {
	const HOLD_NODE = 'Held Until Resumed';
	const [order] = sampleOrders(1, {
		startMs: Date.now() - HOUR_MS,
		seed: 17,
		firstId: 5_600_000_001,
	});
	let n8n: N8nInstance;
	let shop: MockShopApi;
	let slack: RecordingEndpoint;
	let intake: CreatedWorkflow;

	/**
	 * The lease at its minimum on the trigger and on the re-run guard (which renews the trigger's
	 * claim for its own lease), and a Wait between Post Approval and Mark Order Done.
	 */
	const slowAfterApproval = (template: WorkflowDefinition): WorkflowDefinition => {
		const shortLease = [TRIGGER, GUARD].reduce(
			(patched, name) =>
				patchNode(patched, name, (node) => ({
					...node,
					parameters: { ...node.parameters, leaseMinutes: 0.01 },
				})),
			template,
		);
		const hold: INode = {
			id: 'e2e-hold-after-approval',
			name: HOLD_NODE,
			type: 'n8n-nodes-base.wait',
			typeVersion: 1.1,
			position: [2940, 200],
			webhookId: '5a0d1e30-7b21-4c3a-9e11-3c00000e2e01',
			parameters: { resume: 'webhook', options: {} },
		};
		const postApproval = shortLease.connections['Post Approval'].main;
		return {
			...shortLease,
			nodes: [...shortLease.nodes, hold],
			connections: {
				...shortLease.connections,
				'Post Approval': {
					main: [
						[{ node: HOLD_NODE, type: NodeConnectionTypes.Main, index: 0 }],
						...postApproval.slice(1),
					],
				},
				[HOLD_NODE]: { main: postApproval.slice(0, 1) },
			},
		};
	};
	const deliver = async () => {
		const delivery = shopifyDelivery(shop.restOrder(order.id), SIGNING_SECRET, {
			eventId: `order-created-${order.id}`,
		});
		const answer = await sendShopifyWebhook(n8n.webhookUrl('shop-orders-create'), delivery);
		expect(answer.status).toBe(200);
	};
	/** The waiting runs, oldest first, once there are `count`. */
	const waitingRuns = async (count: number): Promise<ExecutionSummary[]> => {
		let waiting: ExecutionSummary[] = [];
		await waitFor(
			`${count} run(s) held after the approval`,
			async () => {
				waiting = (await n8n.listExecutions(intake.id)).filter((run) => run.status === 'waiting');
				return waiting.length >= count;
			},
			WAIT_MS,
		);
		return waiting.reverse();
	};
	/** Resumes a held run through n8n's waiting webhook, with the run's own resume token. */
	const resume = async (run: ExecutionSummary) => {
		const { data } = await n8n.getExecution(run.id);
		const response = await fetch(
			`${n8n.baseUrl}/webhook-waiting/${run.id}?signature=${data.resumeToken ?? ''}`,
		);
		expect(response.status).toBe(200);
	};

	beforeAll(async () => {
		shop = await startMockShopApi({
			orders: [order],
			accessToken: ACCESS_TOKEN,
			approvalToken: APPROVAL_TOKEN,
		});
		slack = await startSlack();
		n8n = await N8nInstance.start();
		intake = await publishIntake(n8n, shop, { slack, edit: slowAfterApproval });
	}, WAIT_MS);

	afterAll(async () => {
		await n8n?.stop();
		await shop?.close();
		await slack?.close();
	});

	it('leaves the later run its completion and alerts on the overtaken one', async () => {
		await deliver();
		const [slow] = await waitingRuns(1);
		const [claim] = outputItems(await n8n.getExecution(slow.id), GUARD);
		const leaseEnds = Date.parse(String((claim.idempotency as IDataObject).leaseExpiresAt));
		await waitFor("the slow run's lease to run out", () => Date.now() > leaseEnds, WAIT_MS);

		// Shopify's retry claims the order, which the slow run still works on, and finishes it.
		await deliver();
		const fast = (await waitingRuns(2)).find((run) => run.id !== slow.id)!;
		await resume(fast);
		await waitFor(
			'the retry to finish',
			async () =>
				(await n8n.listExecutions(intake.id)).some(
					(run) => run.id === fast.id && run.status === 'success',
				),
			WAIT_MS,
		);
		await resume(slow);
		const runs = await n8n.waitForExecutions(intake.id, 2, WAIT_MS);

		expect(runs.map((run) => run.status)).toEqual(['success', 'success']);
		const [slowRun, fastRun] = await Promise.all([
			n8n.getExecution(slow.id),
			n8n.getExecution(fast.id),
		]);
		expect(keyTokens([fastRun], 'Mark Order Done')).toEqual(
			keyTokens([fastRun], 'Shopify Order Created'),
		);
		expect(outputItems(slowRun, 'Mark Order Done')).toEqual([]);
		expect(keyTokens([slowRun], 'Mark Order Done', 1)).toEqual(
			keyTokens([slowRun], 'Shopify Order Created'),
		);
		expect(outputItems(slowRun, 'Mark Order Done', 1)).toEqual([
			expect.objectContaining({ idempotency: expect.objectContaining({ status: 'lostClaim' }) }),
		]);
		expect(slack.requests.map((request) => (request.body as IDataObject).text)).toEqual([
			expect.stringMatching(
				new RegExp(`order ${order.id} needs a person: this run lost its claim to another run`),
			),
		]);
	});
});

/**
 * n8n runs an execution again with its old trigger items when a crash left it queued, and a person
 * can re-run a finished one from the editor ("Execute workflow" on the trigger's saved data, the
 * call below). The re-run carries the trigger's old claim and token: Still Ours? (re-run guard)
 * finds the order approved and sends the re-run to Duplicate, before any call out of n8n.
 */
describe('a re-run of a finished webhook execution', () => {
	const [order] = sampleOrders(1, {
		startMs: Date.now() - HOUR_MS,
		seed: 23,
		firstId: 5_700_000_001,
	});
	let n8n: N8nInstance;
	let shop: MockShopApi;
	let intake: CreatedWorkflow;

	/** What the editor sends for "Execute workflow" on a trigger that holds an execution's data. */
	const rerun = async (executionId: string): Promise<ExecutionDetail> => {
		const original = await n8n.getExecution(executionId);
		const { executionId: rerunId } = await n8n.rest<{ executionId: string }>(
			'POST',
			`/workflows/${intake.id}/run`,
			{
				triggerToStartFrom: {
					name: TRIGGER,
					data: original.data.resultData.runData[TRIGGER][0] as ITaskData,
				},
			},
		);
		let finished = await n8n.getExecution(rerunId);
		await waitFor(
			'the re-run to finish',
			async () => {
				finished = await n8n.getExecution(rerunId);
				return ['success', 'error', 'crashed'].includes(finished.status);
			},
			WAIT_MS,
		);
		return finished;
	};

	beforeAll(async () => {
		shop = await startMockShopApi({
			orders: [order],
			accessToken: ACCESS_TOKEN,
			approvalToken: APPROVAL_TOKEN,
		});
		n8n = await N8nInstance.start();
		intake = await publishIntake(n8n, shop);
	}, WAIT_MS);

	afterAll(async () => {
		await n8n?.stop();
		await shop?.close();
	});

	it('sends the approval once: the re-run stops at the guard as a duplicate', async () => {
		const delivery = shopifyDelivery(shop.restOrder(order.id), SIGNING_SECRET, {
			eventId: `order-created-${order.id}`,
		});
		const answer = await sendShopifyWebhook(n8n.webhookUrl('shop-orders-create'), delivery);
		expect(answer.status).toBe(200);
		const [firstRun] = await n8n.waitForExecutions(intake.id, 1, WAIT_MS);
		const first = await n8n.getExecution(firstRun.id);
		expect(first.status).toBe('success');
		const shopCallsBefore = shop.requests.length;

		const again = await rerun(first.id);

		expect(shop.approvals.map((approval) => approval.orderId)).toEqual([idOf(order)]);
		expect(shop.requests.length).toBe(shopCallsBefore);
		expect(again).toMatchObject({ mode: 'manual', status: 'success' });
		expect(outputItems(again, GUARD)).toEqual([]);
		expect(outputItems(again, GUARD, 1).map((item) => item.idempotency)).toEqual([
			expect.objectContaining({ status: 'duplicate', state: 'completed' }),
		]);
		expect(keyTokens([first], GUARD)).toEqual(keyTokens([first], TRIGGER));
		expect(keyTokens([first], 'Mark Order Done')).toEqual(keyTokens([first], TRIGGER));
	});
});

/**
 * Completed keys are kept 7 days (Mark Order Done's retention). An order placed before that and
 * changed now (a refund, a new note) must not come in as a new order: its key has expired, so a
 * claim would answer New and the order would be approved a second time. In a fresh n8n the key
 * does not exist either, which is what an expired key looks like to Claim Order.
 */
describe('an order changed after its completed key expired is not approved again', () => {
	const DAY_MS = 24 * HOUR_MS;
	const POLLS_TO_WATCH = 3;
	let n8n: N8nInstance;
	let shop: MockShopApi;

	beforeAll(async () => {
		shop = await startMockShopApi({ accessToken: ACCESS_TOKEN, approvalToken: APPROVAL_TOKEN });
		n8n = await N8nInstance.start();
		await publishIntake(n8n, shop, { pollEverySeconds: 1 });
	}, WAIT_MS);

	afterAll(async () => {
		await n8n?.stop();
		await shop?.close();
	});

	it('lets the poll read orders by creation, so an old order changed now is not taken for a new one', async () => {
		const placedLongAgo = new Date(Date.now() - 8 * DAY_MS).toISOString();
		const [old] = sampleOrders(1, {
			startMs: Date.parse(placedLongAgo),
			seed: 3,
			firstId: 5_400_000_001,
		});
		const polls = () => shop.requests.filter(isPoll);
		await waitFor('the poll to ask the shop', () => polls().length > 0, WAIT_MS);

		shop.insert({ ...old, updated_at: new Date().toISOString() });
		const asked = polls().length;
		await waitFor(
			`${POLLS_TO_WATCH} more polls`,
			() => polls().length >= asked + POLLS_TO_WATCH,
			WAIT_MS,
		);

		expect(polls().flatMap((request) => request.served)).not.toContain(old.id);
		expect(shop.approvals).toEqual([]);
	});
});

/**
 * Trying the rules in the editor, as the template's "Try the rules" note says: enable the Manual
 * Trigger "Try the Rules" (its sample facts are pinned), then "Execute step" on the Switch, or
 * "Execute workflow" from that trigger. The runs go through n8n's own manual-run endpoint, as the
 * editor sends them. Neither may post an approval or touch the store the live orders use.
 */
describe('trying the rules on pinned sample facts in the editor', () => {
	const TRY_NODE = 'Try the Rules';
	/** The pinned sample facts by their `sampleCase`, and where the shipped rules route each. */
	const expectedRoutes = {
		'total 499.99, just under the threshold': 'Auto-Approve',
		'total 500, at the threshold': 'Manager Approval',
		'no total': 'Needs Review',
		'a first-time customer': 'Finance Review',
		'high risk (Shopify recommends cancelling)': 'Finance Review',
		'another currency (USD)': 'Needs Review',
		"a first-time customer's large order (1,200)": 'Finance Review',
	};
	const WRITING_NODES = ['Claim Order', 'Post Approval', 'Mark Order Done', 'Give Order Back'];
	let n8n: N8nInstance;
	let shop: MockShopApi;
	let intake: CreatedWorkflow;
	let runs = 0;

	/** Runs the saved workflow as the editor does; answers the finished execution. */
	const runManually = async (payload: IDataObject): Promise<ExecutionDetail> => {
		const answer = await n8n.rest<IDataObject>('POST', `/workflows/${intake.id}/run`, payload);
		expect(answer).toEqual({ executionId: expect.any(String) });
		const [latest] = await n8n.waitForExecutions(intake.id, ++runs, WAIT_MS);
		return await n8n.getExecution(latest.id);
	};
	const routesOf = (execution: ExecutionDetail) =>
		Object.fromEntries(
			switchOutputNames(intake, ROUTE_NODE).flatMap((name, output) =>
				outputItems(execution, ROUTE_NODE, output).map((item) => [item.sampleCase, name]),
			),
		);

	beforeAll(async () => {
		shop = await startMockShopApi({ accessToken: ACCESS_TOKEN, approvalToken: APPROVAL_TOKEN });
		n8n = await N8nInstance.start();
		intake = await publishIntake(n8n, shop, {
			publish: false,
			edit: (template) => patchNode(template, TRY_NODE, (node) => ({ ...node, disabled: false })),
		});
	}, WAIT_MS);

	afterAll(async () => {
		await n8n?.stop();
		await shop?.close();
	});

	it('ships the sample trigger disabled, so a published intake never runs it', () => {
		const shipped = loadTemplate('hybrid-order-intake.json', {});
		expect(shipped.nodes.find((node) => node.name === TRY_NODE)?.disabled).toBe(true);
		expect(Object.keys(shipped.pinData ?? {})).toEqual([TRY_NODE]);
	});

	it('"Execute step" on the Switch routes every sample through Approval Rules, without waiting for a webhook', async () => {
		const execution = await runManually({
			destinationNode: { nodeName: ROUTE_NODE, mode: 'inclusive' },
		});

		expect(execution.status).toBe('success');
		expect(routesOf(execution)).toEqual(expectedRoutes);
		expect(Object.keys(execution.data.resultData.runData).sort()).toEqual(
			[TRY_NODE, RULES_NODE, ROUTE_NODE].sort(),
		);
	});

	it('"Execute workflow" from Try the Rules routes every sample to its end and writes nothing', async () => {
		const execution = await runManually({ triggerToStartFrom: { name: TRY_NODE } });

		expect(execution.status).toBe('success');
		expect(routesOf(execution)).toEqual(expectedRoutes);
		expect(
			outputItems(execution, 'Sample Routed, Nothing Sent').map((item) => item.sampleCase),
		).toHaveLength(Object.keys(expectedRoutes).length);
		const ran = Object.keys(execution.data.resultData.runData);
		expect(WRITING_NODES.filter((name) => ran.includes(name))).toEqual([]);
		expect(shop.requests).toEqual([]);
	});
});

/** What an analyst does in Approval Rules: a value set (an existing one changed, or a new one). */
function setApprovalRule(
	template: WorkflowDefinition,
	name: string,
	value: number | string,
): WorkflowDefinition {
	return patchNode(template, RULES_NODE, (node) => {
		const { assignments } = node.parameters.assignments as { assignments: AssignmentValue[] };
		const existing = assignments.some((assignment) => assignment.name === name);
		const added: AssignmentValue = { id: `analyst-${name}`, name, value, type: typeof value };
		return {
			...node,
			parameters: {
				...node.parameters,
				assignments: {
					assignments: existing
						? assignments.map((assignment) =>
								assignment.name === name ? { ...assignment, value } : assignment,
							)
						: [...assignments, added],
				},
			},
		};
	});
}

/**
 * A Switch rule added above the others, as an analyst drags a new rule to the top: the existing
 * outputs keep the nodes they lead to, and the new output is wired to `to`.
 */
function addSwitchRuleFirst(
	template: WorkflowDefinition,
	rule: IDataObject,
	to: string,
): WorkflowDefinition {
	const edited = patchNode(template, ROUTE_NODE, (node) => {
		const rules = node.parameters.rules as { values: IDataObject[] };
		const values = [rule, ...rules.values] as unknown as INodeParameters[];
		return { ...node, parameters: { ...node.parameters, rules: { values } } };
	});
	const outputs = template.connections[ROUTE_NODE].main;
	return {
		...edited,
		connections: {
			...edited.connections,
			[ROUTE_NODE]: {
				main: [[{ node: to, type: NodeConnectionTypes.Main, index: 0 }], ...outputs],
			},
		},
	};
}
