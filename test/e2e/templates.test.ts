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
	 * before the run starts: a Claim in its namespace after it would find the trigger's own claim
	 * In Progress and stop every event (a Claim of another key, such as the Stripe template's claim
	 * of the payment, is another matter). Its claims must be finished in its namespace, by a
	 * Complete and, on the error branch, a Release.
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
				const namespace =
					(trigger.parameters.deliveryOptions as { dedupNamespace?: string } | undefined)
						?.dedupNamespace || `webhook:${String(trigger.parameters.path)}`;
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
								(node.parameters.operation ?? 'claim') === 'claim' &&
								node.parameters.namespace === namespace,
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

/** Every node reached from `start` along main connections, each once. */
function downstreamOf(workflow: WorkflowDefinition, start: string): INode[] {
	const reached = new Set<string>();
	const queue = [start];
	while (queue.length > 0) {
		const outputs = workflow.connections[queue.shift()!]?.main ?? [];
		for (const target of outputs.flat()) {
			if (!target || reached.has(target.node)) continue;
			reached.add(target.node);
			queue.push(target.node);
		}
	}
	return workflow.nodes.filter((node) => reached.has(node.name));
}
