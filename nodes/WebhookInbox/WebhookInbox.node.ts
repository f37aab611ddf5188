import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
} from 'n8n-workflow';

import {
	onlyForPostgresStore,
	onlyForRedisStore,
	storeCredentialTests,
} from '../shared/storeDescription';
import { router } from './actions/router';
import { configuredOutputs } from './outputs';
import { webhookInboxProperties } from './WebhookInbox.description';

export class WebhookInbox implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Webhook Inbox',
		name: 'webhookInbox',
		icon: { light: 'file:webhookInbox.svg', dark: 'file:webhookInbox.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Recover, redrive, requeue, inspect and purge the deliveries the Signed Webhook Trigger kept, and report their health',
		defaults: { name: 'Webhook Inbox' },
		inputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'hybridSyncRedisApi',
				required: true,
				testedBy: 'testRedisStore',
				displayOptions: onlyForRedisStore,
			},
			{
				name: 'hybridSyncPostgresApi',
				required: true,
				testedBy: 'testPostgresStore',
				displayOptions: onlyForPostgresStore,
			},
		],
		outputs: `={{(${configuredOutputs})($parameter)}}`,
		usableAsTool: true,
		properties: webhookInboxProperties,
	};

	methods = { credentialTest: storeCredentialTests };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
