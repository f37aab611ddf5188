import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

/**
 * One credential for the APIs the Cursor Poll Trigger polls: bearer token, API key header, basic
 * auth or API key query parameter. (n8n lets only its own HTTP Request node borrow other nodes'
 * credential types, so a community trigger brings its own.)
 */
export class HybridSyncHttpAuthApi implements ICredentialType {
	name = 'hybridSyncHttpAuthApi';

	displayName = 'Hybrid Sync HTTP Auth API';

	documentationUrl =
		'https://github.com/n8n-nodes-hybrid-sync/n8n-nodes-hybrid-sync#cursor-poll-trigger';

	icon = 'file:signedWebhook.svg' as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authType',
			type: 'options',
			options: [
				{ name: 'Bearer Token', value: 'bearer' },
				{ name: 'Header (API Key)', value: 'header' },
				{ name: 'Basic Auth', value: 'basic' },
				{ name: 'Query Parameter (API Key)', value: 'query' },
			],
			default: 'bearer',
		},
		{
			displayName: 'Name',
			name: 'name',
			type: 'string',
			default: 'X-API-Key',
			description: 'Header or query parameter name',
			displayOptions: { show: { authType: ['header', 'query'] } },
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			displayOptions: { show: { authType: ['basic'] } },
		},
		{
			displayName: 'Value',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'The token, API key or password',
		},
		{
			displayName: 'Test URL',
			name: 'testUrl',
			type: 'string',
			default: '',
			placeholder: 'https://erp.example.com/api/changes?limit=1',
			description:
				'A URL that answers 2xx when the credential is right; used by the credential test',
		},
	];

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const value = String(credentials.secret ?? '');
		const name = String(credentials.name ?? '');
		if (credentials.authType === 'query') {
			return { ...requestOptions, qs: { ...(requestOptions.qs ?? {}), [name]: value } };
		}
		const headers = { ...(requestOptions.headers ?? {}) };
		if (credentials.authType === 'header') headers[name] = value;
		else if (credentials.authType === 'basic') {
			headers.Authorization = `Basic ${Buffer.from(`${String(credentials.user ?? '')}:${value}`).toString('base64')}`;
		} else headers.Authorization = `Bearer ${value}`;
		return { ...requestOptions, headers };
	}

	test: ICredentialTestRequest = {
		request: { url: '={{$credentials.testUrl}}', method: 'GET' },
	};
}
