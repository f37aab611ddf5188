import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import type { StoreConfig } from '../../lib/store/openStore';

/** The store choice every node of this package offers, so all of them can share keys. */
export function storeProperties(displayOptions?: IDisplayOptions): INodeProperties[] {
	return [
		{
			displayName: 'Store',
			name: 'storeBackend',
			type: 'options',
			options: [
				{
					name: 'Embedded (This N8n Instance)',
					value: 'embedded',
					description:
						"A file next to n8n's own data: no setup, survives restarts, atomic within one n8n instance. Queue mode with several workers or webhook processors needs Redis or PostgreSQL.",
				},
			],
			default: 'embedded',
			description:
				'Where keys are recorded. Nodes and workflows that use the same store see the same keys.',
			...(displayOptions ? { displayOptions } : {}),
		},
	];
}

export function storeConfigFromParameters(backend: string): StoreConfig {
	if (backend !== 'embedded') throw new Error(`Unknown store "${backend}"`);
	return { backend: 'embedded' };
}
