import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { IDataObject, INode } from 'n8n-workflow';

import type { CreatedCredential, ExecutionDetail, WorkflowDefinition } from './n8n-instance';

/** Shipped templates, read as users import them, and the few changes a test may make to them. */

const TEMPLATES_DIR = path.join(__dirname, '..', '..', '..', 'templates');

/** Every shipped template (`templates/*.json`), by file name in order, as users import it. */
export function shippedTemplates(): Array<{
	file: string;
	name: string;
	workflow: WorkflowDefinition;
}> {
	return readdirSync(TEMPLATES_DIR)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => ({
			file,
			name: path.basename(file, '.json'),
			workflow: loadTemplate(file, {}),
		}));
}

/** A template with its placeholder texts (hosts, URLs) replaced; each must still be in the file. */
export function loadTemplate(
	file: string,
	replacements: Record<string, string>,
): WorkflowDefinition {
	let text = readFileSync(path.join(TEMPLATES_DIR, file), 'utf8');
	for (const [placeholder, value] of Object.entries(replacements)) {
		if (!text.includes(placeholder)) throw new Error(`${file} no longer mentions ${placeholder}`);
		text = text.split(placeholder).join(value);
	}
	return JSON.parse(text) as WorkflowDefinition;
}

export function patchNode(
	workflow: WorkflowDefinition,
	name: string,
	patch: (node: INode) => INode,
): WorkflowDefinition {
	if (!workflow.nodes.some((node) => node.name === name)) throw new Error(`No node "${name}"`);
	return {
		...workflow,
		nodes: workflow.nodes.map((node) => (node.name === name ? patch(node) : node)),
	};
}

/**
 * Templates carry no credentials; the user picks theirs after importing. This gives every node
 * `uses` selects the credential, under a placeholder ID that `N8nInstance.createWorkflow` resolves.
 */
export function withCredential(
	workflow: WorkflowDefinition,
	uses: (node: INode) => boolean,
	placeholder: string,
	credential: Pick<CreatedCredential, 'name' | 'type'>,
): WorkflowDefinition {
	if (!workflow.nodes.some(uses))
		throw new Error(`No node of "${workflow.name}" takes ${placeholder}`);
	return {
		...workflow,
		nodes: workflow.nodes.map((node) =>
			uses(node)
				? {
						...node,
						credentials: {
							...node.credentials,
							[credential.type]: { id: placeholder, name: credential.name },
						},
					}
				: node,
		),
	};
}

/** Every item a node put on one of its outputs, over all its runs in the execution. */
export function outputItems(
	execution: ExecutionDetail,
	nodeName: string,
	output = 0,
): IDataObject[] {
	const runs = execution.data.resultData.runData[nodeName] ?? [];
	return runs.flatMap((run) => (run.data?.main[output] ?? []).map((item) => item.json));
}

/**
 * The names of a Switch node's outputs as the canvas shows them, by output index: each rule's
 * output key (or its number), then the fallback output when it is an extra one. Read from the node
 * itself, so a test never counts the outputs a second time.
 */
export function switchOutputNames(
	workflow: Pick<WorkflowDefinition, 'nodes'>,
	name: string,
): string[] {
	const node = workflow.nodes.find((candidate) => candidate.name === name);
	if (node?.type !== 'n8n-nodes-base.switch') throw new Error(`No Switch node "${name}"`);
	const rules = (node.parameters.rules as { values?: IDataObject[] } | undefined)?.values ?? [];
	const options = (node.parameters.options ?? {}) as IDataObject;
	const names = rules.map((rule, index) =>
		rule.renameOutput === true ? String(rule.outputKey) : String(index),
	);
	if (options.fallbackOutput === 'extra')
		names.push(String(options.renameFallbackOutput || 'Fallback'));
	return names;
}

/**
 * Each item a node put on one output over the executions, as `key token`: its idempotency key and
 * the fencing token it held (`-` for none). A claim and the Complete or Release that finished it
 * give the same line, so a test can match the one to the other.
 */
export function keyTokens(executions: ExecutionDetail[], nodeName: string, output = 0): string[] {
	return executions
		.flatMap((execution) => outputItems(execution, nodeName, output))
		.map((item) => {
			const idempotency = (item.idempotency ?? {}) as IDataObject;
			return `${String(idempotency.key)} ${String(idempotency.token ?? '-')}`;
		})
		.sort();
}
