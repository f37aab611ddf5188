import type { INode } from 'n8n-workflow';

import { configuredOutputs } from '../../nodes/IdempotencyCheck/outputs';
import { builtNodeDescription, PACKAGE_PREFIX } from '../support/builtNodeTypes';
import { N8nInstance, shippedTemplates, type WorkflowDefinition } from './harness';

/**
 * Every workflow template users import (`templates/*.json`, imported by `npm start`) is accepted
 * by a real n8n with this package installed, and each parameter it sets on our nodes is one the
 * node really has (a renamed parameter would silently fall back to its default in the user's n8n).
 */

const templates = shippedTemplates();

describe('workflow templates in a real n8n', () => {
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await N8nInstance.start();
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	it('ships templates', () => {
		expect(templates.length).toBeGreaterThan(0);
	});

	it.each(templates)('$file sets only parameters our nodes have', ({ workflow }) => {
		for (const node of workflow.nodes.filter((candidate) =>
			candidate.type.startsWith(PACKAGE_PREFIX),
		)) {
			const parameterNames = new Set(
				builtNodeDescription(node.type).properties.map((property) => property.name),
			);
			const unknown = Object.keys(node.parameters).filter((name) => !parameterNames.has(name));
			expect({ node: node.name, unknownParameters: unknown }).toEqual({
				node: node.name,
				unknownParameters: [],
			});
		}
	});

	/**
	 * After the business step the item is the step's answer, not the claim's item: the default
	 * Fencing Token (`$json.idempotency.token`) would find nothing and the key would be finished
	 * without fencing. And an overtaken run (Lost Claim), a dead letter or a failed Complete must
	 * show up somewhere, not end silently.
	 */
	it.each(templates)(
		'$file finishes each claim with its token and leads every Complete and Release outcome somewhere',
		({ workflow }) => {
			const finishing = workflow.nodes.filter(
				(node) =>
					node.type === `${PACKAGE_PREFIX}idempotencyCheck` &&
					['complete', 'release'].includes(String(node.parameters.operation)),
			);
			for (const node of finishing) {
				const outputs: string[] = configuredOutputs(node.parameters).map(
					(output) => output.displayName,
				);
				const mustLead = [
					...outputs.filter((name) => name !== 'Completed' && name !== 'Released'),
					...(node.onError === 'continueErrorOutput' ? ['Error'] : []),
				];
				const connected = workflow.connections[node.name]?.main ?? [];
				const leadNowhere = mustLead.filter((name) => {
					const index = name === 'Error' ? outputs.length : outputs.indexOf(name);
					return (connected[index] ?? []).length === 0;
				});
				expect({ node: node.name, fencing: node.parameters.fencing, leadNowhere }).toEqual({
					node: node.name,
					fencing: expect.stringMatching(
						/^=\{\{ \$\('[^']+'\)\.item\.json\.idempotency\.token \}\}$/,
					),
					leadNowhere: [],
				});
			}
		},
	);

	/**
	 * A Signed Webhook Trigger in Keep and Claim mode (version 3's default) has claimed each event
	 * before the run starts: a Claim in its namespace that does not send the trigger's token would
	 * find the trigger's own claim In Progress and stop every event (a re-run guard sends it, see
	 * below; a Claim of another key, such as the Stripe template's claim of the payment, is another
	 * matter). Its claims must be finished in its namespace, by a Complete and, on the error branch,
	 * a Release.
	 */
	it.each(templates)(
		'$file claims no event again after a Keep and Claim trigger, and finishes its claims in its namespace',
		({ workflow }) => {
			const inboxTriggers = workflow.nodes.filter(
				(node) =>
					node.type === `${PACKAGE_PREFIX}signedWebhookTrigger` &&
					node.typeVersion >= 3 &&
					(node.parameters.guarantee ?? 'inbox') === 'inbox',
			);
			for (const trigger of inboxTriggers) {
				const namespace = claimNamespace(trigger);
				const checks = downstreamOf(workflow, trigger.name).filter(
					(node) => node.type === `${PACKAGE_PREFIX}idempotencyCheck`,
				);
				const finishes = (operation: string) =>
					checks.some(
						(node) =>
							node.parameters.operation === operation && node.parameters.namespace === namespace,
					);
				expect({
					trigger: trigger.name,
					claimsAfter: checks
						.filter(
							(node) =>
								isClaim(node) &&
								node.parameters.namespace === namespace &&
								!isRerunGuard(node, namespace),
						)
						.map((node) => node.name),
					finishedBy: { complete: finishes('complete'), release: finishes('release') },
				}).toEqual({
					trigger: trigger.name,
					claimsAfter: [],
					finishedBy: { complete: true, release: true },
				});
			}
		},
	);

	/**
	 * n8n re-runs an execution a crash left queued with its old trigger items, and a person can
	 * re-run a finished one from the editor: both carry the old claim's token. A Claim in the
	 * claim's namespace that sends that token (its default Fencing Token) before the first call
	 * out of n8n lets the first run through and sends such a re-run to Duplicate, so the business
	 * step is done once. Every path from the claimed output of a node that claims (a Keep and Claim
	 * trigger; Recovered, Redriven, Requeued of the Webhook Inbox) must pass one (or a fresh Claim of
	 * another key) before it reaches a node that is not safe to repeat. Their other outputs (Dead
	 * Letter, Skipped) hold no claim.
	 */
	it.each(templates)(
		'$file guards every claimed path against re-runs before its first outward call',
		({ workflow }) => {
			for (const source of workflow.nodes.filter(claimsBeforeTheRun)) {
				const namespace = claimNamespace(source);
				const claimedOutput = { [source.name]: [0] };
				const unguarded = downstreamOf(
					workflow,
					source.name,
					(node) => guardsReruns(node, namespace),
					claimedOutput,
				)
					.filter((node) => !safeToRepeat(node) && !guardsReruns(node, namespace))
					.map((node) => node.name);
				expect({ source: source.name, namespace, unguarded }).toEqual({
					source: source.name,
					namespace,
					unguarded: [],
				});
			}
		},
	);

	it.each(templates)('$file is accepted by n8n as a workflow', async ({ workflow }) => {
		const created = await n8n.createWorkflow({
			name: workflow.name,
			nodes: workflow.nodes.map((node: INode) => ({ ...node, credentials: undefined })),
			connections: workflow.connections,
			settings: workflow.settings,
		});

		const stored = await n8n.rest<{ nodes: INode[] }>('GET', `/workflows/${created.id}`);
		expect(stored.nodes.map((node) => node.type).sort()).toEqual(
			workflow.nodes.map((node) => node.type).sort(),
		);
	});
});

/** Node types that only reshape or route items: nothing leaves n8n, nothing is stored. */
const STAYS_IN_THE_RUN = new Set(
	['set', 'noOp', 'switch', 'if', 'filter', 'merge'].map((name) => `n8n-nodes-base.${name}`),
);
/**
 * Nodes a re-run may pass again before its guard: routing and reshaping, a fenced Complete or
 * Release (a re-run's token finds its key finished and changes nothing), a Stop and Error.
 */
const safeToRepeat = (node: INode) =>
	STAYS_IN_THE_RUN.has(node.type) ||
	node.type === 'n8n-nodes-base.stopAndError' ||
	(node.type === `${PACKAGE_PREFIX}idempotencyCheck` &&
		['complete', 'release'].includes(String(node.parameters.operation)));

/**
 * What stops a re-run of a finished execution: a re-run guard in the claim's namespace, or a fresh
 * Claim of another key (the Stripe template claims the payment: a fulfilled one is a Duplicate).
 */
const guardsReruns = (node: INode, namespace: string) =>
	isRerunGuard(node, namespace) || (isClaim(node) && node.parameters.namespace !== namespace);

const CLAIMING_INBOX_OPERATIONS = ['recoverStuck', 'redrive', 'requeueDeadLetters'];
/** Fencing Token values that send the token the item carries (the default reads it too). */
const ITEM_TOKEN = /^=\{\{ \$json\.idempotency\??\.token( \?\? "")? \}\}$/;

const isClaim = (node: INode) =>
	node.type === `${PACKAGE_PREFIX}idempotencyCheck` &&
	(node.parameters.operation ?? 'claim') === 'claim';

/** A Claim in `namespace` that sends the item's token, so the claim that started the run passes. */
const isRerunGuard = (node: INode, namespace: string) =>
	isClaim(node) &&
	node.parameters.namespace === namespace &&
	(node.parameters.fencing === undefined || ITEM_TOKEN.test(String(node.parameters.fencing)));

/** A node whose items hold a claim taken for them before this run (or before this node). */
const claimsBeforeTheRun = (node: INode) =>
	(node.type === `${PACKAGE_PREFIX}signedWebhookTrigger` &&
		node.typeVersion >= 3 &&
		(node.parameters.guarantee ?? 'inbox') === 'inbox') ||
	(node.type === `${PACKAGE_PREFIX}webhookInbox` &&
		CLAIMING_INBOX_OPERATIONS.includes(String(node.parameters.operation)));

/** The namespace a trigger or a Webhook Inbox node claims in: `webhook:<path>` unless set. */
const claimNamespace = (node: INode) => {
	const options = node.parameters.deliveryOptions as { dedupNamespace?: string } | undefined;
	return (
		options?.dedupNamespace ||
		(node.parameters.namespace as string | undefined) ||
		`webhook:${String(node.parameters.path)}`
	);
};

/**
 * Every node reached from `start` along main connections, each once; not past `stopAt` nodes, and
 * from a node named in `onlyOutputs` only along those output indexes.
 */
function downstreamOf(
	workflow: WorkflowDefinition,
	start: string,
	stopAt: (node: INode) => boolean = () => false,
	onlyOutputs: Record<string, number[]> = {},
): INode[] {
	const byName = new Map(workflow.nodes.map((node) => [node.name, node]));
	const reached = new Set<string>();
	const queue = [start];
	while (queue.length > 0) {
		const name = queue.shift()!;
		const outputs = workflow.connections[name]?.main ?? [];
		const followed = onlyOutputs[name]?.map((index) => outputs[index]) ?? outputs;
		for (const target of followed.flat()) {
			if (!target || reached.has(target.node)) continue;
			reached.add(target.node);
			const reachedNode = byName.get(target.node);
			if (reachedNode && !stopAt(reachedNode)) queue.push(target.node);
		}
	}
	return workflow.nodes.filter((node) => reached.has(node.name));
}
