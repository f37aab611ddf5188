import {
	type INodeType,
	type INodeTypeDescription,
	type ITriggerFunctions,
	type ITriggerResponse,
	NodeConnectionTypes,
} from 'n8n-workflow';

import {
	onlyForPostgresStore,
	onlyForRedisStore,
	storeCredentialTests,
} from '../shared/storeDescription';
import { cursorPollTriggerProperties } from './CursorPollTrigger.description';
import { CursorPoller } from './CursorPoller';
import { readPollSettings } from './readPollSettings';

export class CursorPollTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Cursor Poll Trigger',
		name: 'cursorPollTrigger',
		icon: { light: 'file:cursorPoll.svg', dark: 'file:cursorPoll.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["url"]}}',
		description:
			'Pulls changes from any HTTP API with a keyset cursor (timestamp + ID): nothing missed at page or poll boundaries, nothing twice, cursor committed after the run succeeded',
		defaults: { name: 'Cursor Poll Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'hybridSyncHttpAuthApi',
				required: true,
				displayOptions: { show: { authentication: ['hybridSyncHttpAuthApi'] } },
			},
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
		properties: cursorPollTriggerProperties,
	};

	methods = { credentialTest: storeCredentialTests };

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		// Parameters are read here, the only time n8n evaluates a trigger's expressions (see
		// readPollSettings); the poller's timer gets them resolved.
		const poller = new CursorPoller(this, readPollSettings(this));
		if (this.getMode() !== 'manual') poller.start();
		return {
			closeFunction: async () => await poller.stop(),
			manualTriggerFunction: async () => await poller.testPoll(),
		};
	}
}
