import type { ICredentialType, INodeProperties } from 'n8n-workflow';

export class HybridSyncPostgresApi implements ICredentialType {
	name = 'hybridSyncPostgresApi';

	displayName = 'Hybrid Sync PostgreSQL Store API';

	documentationUrl = 'https://github.com/n8n-nodes-hybrid-sync/n8n-nodes-hybrid-sync#the-store';

	icon = 'file:signedWebhook.svg' as const;

	properties: INodeProperties[] = [
		{ displayName: 'Host', name: 'host', type: 'string', default: 'localhost', required: true },
		{ displayName: 'Port', name: 'port', type: 'number', default: 5432, required: true },
		{ displayName: 'Database', name: 'database', type: 'string', default: 'n8n', required: true },
		{ displayName: 'User', name: 'user', type: 'string', default: 'n8n', required: true },
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{ displayName: 'SSL', name: 'ssl', type: 'boolean', default: false },
		{
			displayName: 'Schema',
			name: 'schema',
			type: 'string',
			default: 'public',
			description: 'Created when missing. May be the database n8n itself uses.',
		},
		{
			displayName: 'Table',
			name: 'table',
			type: 'string',
			default: 'hybrid_sync_keys',
			description: 'Created on first use',
		},
	];
}
