import { randomUUID } from 'node:crypto';

import type { INode } from 'n8n-workflow';

import { node, workflow, type Wire } from '../../support/workflowBuilder';
import type { WorkflowDefinition } from '../harness';

/**
 * The workflows of the crash tests, as a user builds them: a Signed Webhook Trigger (Stripe) and a
 * business step, an HTTP Request that POSTs `{ eventId }` to the recording endpoint.
 */

export const SIGNING_SECRET_PLACEHOLDER = 'SIGNING_SECRET';

const signedWebhookTrigger = (
	name: string,
	typeVersion: number,
	parameters: INode['parameters'],
): INode => ({
	...node(name, 'n8n-nodes-hybrid-sync.signedWebhookTrigger', typeVersion, parameters, [0, 0]),
	webhookId: randomUUID(),
	credentials: {
		webhookSigningSecretApi: { id: SIGNING_SECRET_PLACEHOLDER, name: 'Stripe signing secret' },
	},
});

/** The business step; `eventId` read from the node named `source`, so any path into it works. */
const businessStep = (url: string, source: string, position: [number, number]): INode => ({
	...node(
		'Business Step',
		'n8n-nodes-base.httpRequest',
		4.2,
		{
			method: 'POST',
			url,
			sendBody: true,
			bodyParameters: {
				parameters: [{ name: 'eventId', value: `={{ $('${source}').item.json.id }}` }],
			},
			options: {},
		},
		position,
	),
	onError: 'continueErrorOutput',
});

/**
 * Today's flow (trigger version 2): the trigger records each event id in its dedup window and
 * answers 200 as the run starts; nothing follows the run. What the issue measured losing events.
 */
export function dedupWindowWorkflow(path: string, businessUrl: string): WorkflowDefinition {
	const wires: Wire[] = [['Stripe Events', 'Business Step']];
	return workflow(
		`Crash test: dedup window (${path})`,
		[
			signedWebhookTrigger('Stripe Events', 2, {
				path,
				scheme: 'stripe',
				deduplicate: true,
				storeBackend: 'embedded',
			}),
			businessStep(businessUrl, 'Stripe Events', [260, 0]),
		],
		wires,
	);
}
