import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { openStoreFor } from '../../shared/storeDescription';
import type { Operation } from './common';
import * as delivery from './delivery/Delivery.resource';
import * as health from './health/Health.resource';
import * as rejectedDelivery from './rejectedDelivery/RejectedDelivery.resource';

const resources: Record<string, Record<string, { execute: Operation }>> = {
	delivery: delivery.operations,
	rejectedDelivery: rejectedDelivery.operations,
	health: health.operations,
};

/** The namespace the Signed Webhook Trigger keeps this webhook's deliveries and keys under. */
export const inboxNamespace = (path: string, namespace: string): string =>
	namespace.trim() || `webhook:${path.trim()}`;

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const namespace = inboxNamespace(
		this.getNodeParameter('path', 0, '') as string,
		this.getNodeParameter('namespace', 0, '') as string,
	);
	const backend = this.getNodeParameter('storeBackend', 0, 'embedded') as string;
	// Opened inside the batch, so a store that cannot be opened fails like one that does not
	// answer: through runBatch, with no item let through.
	const store = async () => await openStoreFor(this, backend);
	return await resources[resource][operation].execute.call(this, store, namespace);
}
