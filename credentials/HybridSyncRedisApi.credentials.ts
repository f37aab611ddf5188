import type { ICredentialType, INodeProperties } from 'n8n-workflow';

export class HybridSyncRedisApi implements ICredentialType {
	name = 'hybridSyncRedisApi';

	displayName = 'Hybrid Sync Redis Store API';

	documentationUrl = 'https://github.com/n8n-nodes-hybrid-sync/n8n-nodes-hybrid-sync#the-store';

	icon = 'file:signedWebhook.svg' as const;

	properties: INodeProperties[] = [
		{ displayName: 'Host', name: 'host', type: 'string', default: 'localhost', required: true },
		{ displayName: 'Port', name: 'port', type: 'number', default: 6379, required: true },
		{
			displayName: 'Database Number',
			name: 'database',
			type: 'number',
			default: 0,
			description: 'Redis logical database (SELECT)',
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'ACL user; empty for the default user',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{ displayName: 'SSL/TLS', name: 'ssl', type: 'boolean', default: false },
		{
			displayName: 'Key Prefix',
			name: 'keyPrefix',
			type: 'string',
			default: 'hybrid-sync:',
			description:
				'Prepended to every Redis key the store writes, so it can share a Redis with other data',
		},
	];
}
