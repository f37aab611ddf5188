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
	storeProperties,
} from '../shared/storeDescription';
import { claim, claimProperties } from './operations/claim';
import { complete, completeProperties } from './operations/complete';
import type { OpenStore } from './operations/common';
import { forget, inspect } from './operations/inspect';
import { release, releaseProperties } from './operations/release';

type Operation = (
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
) => Promise<INodeExecutionData[][]>;

const operations: Record<string, Operation> = { claim, complete, release, forget, inspect };

/** Output names per operation; evaluated by the editor from the node's parameters, so self-contained. */
export const configuredOutputs = (parameters: {
	operation?: string;
	claimOptions?: {
		fingerprintFields?: string;
		onMismatch?: string;
		orderingEntity?: string;
		orderingVersion?: string;
	};
}) => {
	const operation = parameters.operation ?? 'claim';
	const named = (names: string[]) => names.map((displayName) => ({ type: 'main', displayName }));
	if (operation === 'claim') {
		const options = parameters.claimOptions ?? {};
		const mismatch =
			(options.fingerprintFields ?? '').trim() !== '' &&
			(options.onMismatch ?? 'output') === 'output';
		// Both ordering options added, whatever they hold: a blank one fails its items, never the guard.
		const ordered = options.orderingEntity !== undefined && options.orderingVersion !== undefined;
		return named([
			'New',
			'Duplicate',
			'In Progress',
			'Dead Letter',
			...(mismatch ? ['Mismatch'] : []),
			...(ordered ? ['Stale'] : []),
		]);
	}
	if (operation === 'release') return named(['Released', 'Dead Letter']);
	if (operation === 'complete') return named(['Completed']);
	return named(['Keys']);
};

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
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Claim',
						value: 'claim',
						action: 'Claim keys before processing',
						description: 'Take each key for this run: New items go on, the rest are sorted out',
					},
					{
						name: 'Complete',
						value: 'complete',
						action: 'Mark keys as done',
						description: 'After the business step succeeded: later claims are Duplicate',
					},
					{
						name: 'Forget',
						value: 'forget',
						action: 'Delete keys',
						description: 'Remove keys so they can be processed again',
					},
					{
						name: 'Inspect',
						value: 'inspect',
						action: 'Show the state of keys',
						description: 'State, attempts and timestamps of each key',
					},
					{
						name: 'Release',
						value: 'release',
						action: 'Give keys back after a failure',
						description:
							'A retry or the sweep can claim them again; too many attempts dead-letter them',
					},
				],
				default: 'claim',
			},
			{
				displayName: 'Key',
				name: 'key',
				type: 'string',
				default: '={{ $json.id }}',
				required: true,
				description:
					'What identifies one event, e.g. the order or event ID. The same value from the webhook and the poll path meets here.',
			},
			{
				displayName: 'Namespace',
				name: 'namespace',
				type: 'string',
				default: 'default',
				description:
					"Keys are unique within a namespace. Use the same namespace in the webhook workflow, the polling workflow and the sweep so they see each other's keys.",
			},
			...claimProperties,
			...completeProperties,
			...releaseProperties,
			...storeProperties(),
		],
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
