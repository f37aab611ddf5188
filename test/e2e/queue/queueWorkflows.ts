import { randomUUID } from 'node:crypto';

import type { INode } from 'n8n-workflow';

import type { CreatedCredential, WorkflowDefinition } from '../harness';
import type { QueueCluster } from '../harness/queueCluster';
import { businessStepNode, node, workflow } from '../../support/workflowBuilder';

/** The workflow and credentials the queue-mode tests run: a signed webhook, then a business step. */

export type StoreBackend = 'redis' | 'postgres' | 'embedded';

const CREDENTIAL_TYPE = { redis: 'hybridSyncRedisApi', postgres: 'hybridSyncPostgresApi' } as const;

export const eventBody = (eventId: string) =>
	JSON.stringify({ type: 'order.paid', data: { order: eventId } });

/** A store credential on the cluster's own Redis (keys under `keyPrefix`) or PostgreSQL. */
export async function createStoreCredential(
	cluster: QueueCluster,
	backend: 'redis' | 'postgres',
	keyPrefix: string,
): Promise<CreatedCredential> {
	if (backend === 'postgres') {
		return await cluster.main.createCredential({
			name: 'Store PostgreSQL',
			type: CREDENTIAL_TYPE.postgres,
			data: { ...cluster.database, ssl: false },
		});
	}
	const { host, port, password } = cluster.storeRedis;
	return await cluster.main.createCredential({
		name: 'Store Redis',
		type: CREDENTIAL_TYPE.redis,
		data: { host, port, password, database: 0, user: '', ssl: false, keyPrefix },
	});
}

/**
 * "Order Events", a Signed Webhook Trigger (Standard Webhooks) on `path` keeping its keys in
 * `backend`; with `businessUrl`, then "Business Step", which POSTs `{ eventId }` there. Credential
 * placeholders: SIGNING_SECRET, and STORE unless the store is embedded.
 */
export function signedWebhookWorkflow(options: {
	path: string;
	backend: StoreBackend;
	signingSecret: Pick<CreatedCredential, 'name'>;
	store?: Pick<CreatedCredential, 'name'>;
	businessUrl?: string;
}): WorkflowDefinition {
	const { path, backend, signingSecret, store, businessUrl } = options;
	const trigger: INode = {
		...node(
			'Order Events',
			'n8n-nodes-hybrid-sync.signedWebhookTrigger',
			1,
			{ path, scheme: 'standardWebhooks', storeBackend: backend },
			[0, 0],
		),
		webhookId: randomUUID(),
		credentials: {
			webhookSigningSecretApi: { id: 'SIGNING_SECRET', name: signingSecret.name },
			...(backend === 'embedded' || !store
				? {}
				: { [CREDENTIAL_TYPE[backend]]: { id: 'STORE', name: store.name } }),
		},
	};
	if (!businessUrl) return workflow(`Queue mode, ${backend} store`, [trigger], []);
	const business = businessStepNode('Business Step', businessUrl, '={{ $json.id }}', [260, 0]);
	return workflow(
		`Queue mode, ${backend} store`,
		[trigger, business],
		[['Order Events', 'Business Step']],
	);
}
