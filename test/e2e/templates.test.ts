import type { INode } from 'n8n-workflow';

import { builtNodeDescription, PACKAGE_PREFIX } from '../support/builtNodeTypes';
import { N8nInstance, shippedTemplates } from './harness';

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
