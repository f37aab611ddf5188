import { randomUUID } from 'node:crypto';

import { type IConnections, type INode, NodeConnectionTypes } from 'n8n-workflow';

import type { WorkflowDefinition } from '../e2e/harness';

/**
 * Workflows as a user builds them on the canvas, for the end-to-end tests and the benchmarks
 * alike: one way to write a node of this package, a webhook that starts a run, a Code node, and
 * the wires between them.
 */

type Position = [number, number];

export const node = (
	name: string,
	type: string,
	typeVersion: number,
	parameters: INode['parameters'],
	position: Position,
): INode => ({ id: randomUUID(), name, type, typeVersion, position, parameters });

/** n8n's Webhook node named "Webhook": POST on `path`, answering as soon as the run starts. */
export const webhookNode = (path: string, position: Position = [0, 0]): INode => ({
	...node(
		'Webhook',
		'n8n-nodes-base.webhook',
		2.1,
		{ httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
		position,
	),
	webhookId: randomUUID(),
});

export const codeNode = (name: string, jsCode: string, position: Position): INode =>
	node(name, 'n8n-nodes-base.code', 2, { jsCode }, position);

/** The business step of a test or bench workflow: POSTs `{ eventId }` to a local recording endpoint. */
export const businessStepNode = (
	name: string,
	url: string,
	eventId: string,
	position: Position,
): INode =>
	node(
		name,
		'n8n-nodes-base.httpRequest',
		4.2,
		{
			method: 'POST',
			url,
			sendBody: true,
			bodyParameters: { parameters: [{ name: 'eventId', value: eventId }] },
			options: {},
		},
		position,
	);

export const idempotencyCheckNode = (
	name: string,
	parameters: INode['parameters'],
	position: Position,
): INode => node(name, 'n8n-nodes-hybrid-sync.idempotencyCheck', 1, parameters, position);

export const reconcileNode = (
	name: string,
	parameters: INode['parameters'],
	position: Position,
): INode => node(name, 'n8n-nodes-hybrid-sync.reconcile', 1, parameters, position);

/** A wire from output `output` of `from` to input `input` of `to` (default: the first of each). */
export type Wire = [from: string, to: string, input?: number, output?: number];

/** The nodes in a row, each feeding the next. */
export const inARow = (...names: string[]): Wire[] =>
	names.slice(1).map((to, index): Wire => [names[index], to]);

/** A workflow of these nodes and wires, run in n8n's current execution order (v1). */
export function workflow(name: string, nodes: INode[], wires: Wire[]): WorkflowDefinition {
	const connections: IConnections = {};
	for (const [from, to, input = 0, output = 0] of wires) {
		connections[from] ??= { main: [] };
		const outputs = connections[from].main;
		while (outputs.length <= output) outputs.push([]);
		outputs[output]!.push({ node: to, type: NodeConnectionTypes.Main, index: input });
	}
	return { name, nodes, connections, settings: { executionOrder: 'v1' } };
}

/**
 * A webhook, Code nodes "Input A" and "Input B" that make two datasets from the request, and
 * `compare` nodes each fed A on their first input and B on their second: the canvas of Compare
 * Datasets and of Reconcile in Compare Inputs mode.
 */
export function twoInputsWorkflow(
	name: string,
	path: string,
	code: { a: string; b: string },
	compare: INode[],
): WorkflowDefinition {
	return workflow(
		name,
		[
			webhookNode(path),
			codeNode('Input A', code.a, [220, -100]),
			codeNode('Input B', code.b, [220, 100]),
			...compare,
		],
		[
			['Webhook', 'Input A'],
			['Webhook', 'Input B'],
			...compare.flatMap(({ name: to }): Wire[] => [
				['Input A', to, 0],
				['Input B', to, 1],
			]),
		],
	);
}
