import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import {
	onlyForPostgresStore,
	onlyForRedisStore,
	storeCredentialTests,
} from '../shared/storeDescription';
import { configuredInputs, configuredOutputs, reconcileProperties } from './Reconcile.description';
import { reconcileWithStore } from './modes/againstStore';
import { compareTwoInputs } from './modes/compareInputs';

export class Reconcile implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Reconcile',
		name: 'reconcile',
		icon: { light: 'file:reconcile.svg', dark: 'file:reconcile.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["mode"] === "compareInputs" ? "compare inputs" : "against store"}}',
		description:
			'Find the source records that were never handled and recover them exactly once, or compare two datasets',
		defaults: { name: 'Reconcile' },
		inputs: `={{(${configuredInputs})($parameter)}}`,
		outputs: `={{(${configuredOutputs})($parameter)}}`,
		// As Compare Datasets: runs once either input has data; the other then counts as empty.
		requiredInputs: 1,
		credentials: [
			{
				name: 'hybridSyncRedisApi',
				required: true,
				testedBy: 'testRedisStore',
				displayOptions: { show: { mode: ['againstStore'], ...onlyForRedisStore.show } },
			},
			{
				name: 'hybridSyncPostgresApi',
				required: true,
				testedBy: 'testPostgresStore',
				displayOptions: { show: { mode: ['againstStore'], ...onlyForPostgresStore.show } },
			},
		],
		usableAsTool: true,
		properties: reconcileProperties,
	};

	methods = { credentialTest: storeCredentialTests };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const mode = this.getNodeParameter('mode', 0, 'againstStore') as string;
		return mode === 'compareInputs'
			? await compareTwoInputs.call(this)
			: await reconcileWithStore.call(this);
	}
}
