import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
} from 'n8n-workflow';

import {
	openStoreFor,
	onlyForPostgresStore,
	onlyForRedisStore,
	storeCredentialTests,
} from '../shared/storeDescription';
import { idempotencyCheckProperties } from './IdempotencyCheck.description';
import { claim } from './operations/claim';
import { complete } from './operations/complete';
import { forget } from './operations/forget';
import { inspect } from './operations/inspect';
import { release } from './operations/release';
import type { OpenStore } from './operations/routeRecord';
import { configuredOutputs } from './outputs';

type Operation = (
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
) => Promise<INodeExecutionData[][]>;

const operations: Record<string, Operation> = { claim, complete, release, forget, inspect };

export class IdempotencyCheck implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Idempotency Check',
		name: 'idempotencyCheck',
		icon: { light: 'file:idempotency.svg', dark: 'file:idempotency.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description:
			'Claim, complete or release event keys in a shared store so each event is processed exactly once, whichever path it came from',
		defaults: { name: 'Idempotency Check' },
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
		properties: idempotencyCheckProperties,
	};

	methods = { credentialTest: storeCredentialTests };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		const namespace = (this.getNodeParameter('namespace', 0, 'default') as string) || 'default';
		const backend = this.getNodeParameter('storeBackend', 0) as string;
		// Opened inside the batch, so a store that cannot be opened fails like one that does not
		// answer: through runBatch, with no item let through.
		const store = async () => await openStoreFor(this, backend);
		return await operations[operation].call(this, store, namespace);
	}
}
