import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { INode, INodeTypeDescription } from 'n8n-workflow';

import { N8nInstance, type WorkflowDefinition } from './harness';

/**
 * Every workflow template users import (`templates/*.json`, imported by `npm start`) is accepted
 * by a real n8n with this package installed, and each parameter it sets on our nodes is one the
 * node really has (a renamed parameter would silently fall back to its default in the user's n8n).
 */

const TEMPLATES_DIR = path.join(__dirname, '..', '..', 'templates');
const templates = readdirSync(TEMPLATES_DIR)
	.filter((file) => file.endsWith('.json'))
	.map((file) => ({
		file,
		workflow: JSON.parse(
			readFileSync(path.join(TEMPLATES_DIR, file), 'utf8'),
		) as WorkflowDefinition,
	}));

const PACKAGE_PREFIX = 'n8n-nodes-hybrid-sync.';
const packageJson = JSON.parse(
	readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
) as {
	n8n: { nodes: string[] };
};

/** The built node's description (dist/, as n8n loads it), by its full type name. */
function ourNodeDescription(type: string): INodeTypeDescription {
	for (const file of packageJson.n8n.nodes) {
		const exported = Object.values(require(path.join(__dirname, '..', '..', file)) as object);
		const NodeClass = exported.find(
			(value): value is new () => { description: INodeTypeDescription } =>
				typeof value === 'function' && /^class\b/.test(String(value)),
		);
		if (!NodeClass) continue;
		const description = new NodeClass().description;
		if (`${PACKAGE_PREFIX}${description.name}` === type) return description;
	}
	throw new Error(`No node of this package has the type ${type}`);
}

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
				ourNodeDescription(node.type).properties.map((property) => property.name),
			);
			const unknown = Object.keys(node.parameters).filter((name) => !parameterNames.has(name));
			expect({ node: node.name, unknownParameters: unknown }).toEqual({
				node: node.name,
				unknownParameters: [],
			});
		}
	});

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
