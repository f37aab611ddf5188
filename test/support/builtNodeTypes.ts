import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { INode, INodeTypeDescription } from 'n8n-workflow';

/** This package's nodes as n8n loads them: from dist/ (needs `npm run build`), by full type name. */

export const PACKAGE_PREFIX = 'n8n-nodes-hybrid-sync.';

const REPO_DIR = path.resolve(__dirname, '..', '..');

let descriptions: Map<string, INodeTypeDescription> | undefined;

function builtDescriptions(): Map<string, INodeTypeDescription> {
	if (descriptions) return descriptions;
	const packageJson = JSON.parse(readFileSync(path.join(REPO_DIR, 'package.json'), 'utf8')) as {
		n8n: { nodes: string[] };
	};
	descriptions = new Map();
	for (const file of packageJson.n8n.nodes) {
		const exported = Object.values(require(path.join(REPO_DIR, file)) as object);
		const NodeClass = exported.find(
			(value): value is new () => { description: INodeTypeDescription } =>
				typeof value === 'function' && /^class\b/.test(String(value)),
		);
		if (!NodeClass) continue;
		const description = new NodeClass().description;
		descriptions.set(`${PACKAGE_PREFIX}${description.name}`, description);
	}
	return descriptions;
}

/** The built node's description, by its full type name. */
export function builtNodeDescription(type: string): INodeTypeDescription {
	const description = builtDescriptions().get(type);
	if (!description) throw new Error(`No node of this package has the type ${type}`);
	return description;
}

/**
 * The credential types a node of this package requires with the parameters it has: a credential's
 * `show` rule holds when each named parameter (or its default) is one of the listed values.
 */
export function requiredCredentialTypes(node: INode): string[] {
	if (!node.type.startsWith(PACKAGE_PREFIX)) return [];
	const description = builtNodeDescription(node.type);
	const valueOf = (name: string) =>
		node.parameters[name] ??
		description.properties.find((property) => property.name === name)?.default;
	return (description.credentials ?? [])
		.filter(
			(credential) =>
				credential.required &&
				Object.entries(credential.displayOptions?.show ?? {}).every(([name, values]) =>
					(values as unknown[]).includes(valueOf(name)),
				),
		)
		.map((credential) => credential.name);
}
