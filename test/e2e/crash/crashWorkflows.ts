import { randomUUID } from 'node:crypto';

import type { INode } from 'n8n-workflow';

import {
	idempotencyCheckNode,
	node,
	webhookNode,
	workflow,
	type Wire,
} from '../../support/workflowBuilder';
import { EXECUTION_HEADER } from '../../support/businessEndpoint';
import type { WorkflowDefinition } from '../harness';

/**
 * The workflows of the crash tests, as a user builds them: a Signed Webhook Trigger (Stripe) and a
 * business step, an HTTP Request that POSTs `{ eventId }` to the recording endpoint. In inbox mode
 * (trigger version 3) three workflows share one namespace: the intake (trigger, Re-run Guard,
 * business step, Complete or Release), the recovery sweep (a schedule and Webhook Inbox Recover Stuck, then the
 * same processing) and a redrive (Webhook Inbox Redrive for a window posted to it, then the same).
 */

/** Claims of every node here: the lease outlasts the slowest healthy run by far, on two busy cores. */
export const LEASE_MINUTES = 0.5;
export const MAX_ATTEMPTS = 5;
/** How often the recovery sweep runs, and how old a delivery must be before it looks at it. */
const SWEEP_EVERY_SECONDS = 5;
const SWEEP_GRACE_MINUTES = 0.05;

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
			// Which run made each call: the endpoint keeps it, for a test to tell runs apart.
			sendHeaders: true,
			headerParameters: {
				parameters: [{ name: EXECUTION_HEADER, value: '={{ $execution.id }}' }],
			},
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

export type RespondWhen = 'onReceived' | 'whenFinished';

export const inboxNamespace = (path: string) => `webhook:${path}`;

/** The Claim guard before the business step; processing reads each event from its items. */
export const GUARD = 'Re-run Guard';

/**
 * The processing every path into it shares, as the templates build it: the Re-run Guard
 * (Idempotency Check Claim in the trigger's namespace; Key and Fencing Token keep their defaults,
 * the event id and the token the item `source` emitted carries), then on New the business step,
 * then Complete on success and Release on its error branch, each with the guard's key and token
 * (the HTTP step replaced the item). The guard grants the claim the item holds again, so the run
 * goes on; a run executed again with its old item (n8n re-runs executions a crash left enqueued;
 * a person re-runs one from the editor) leaves through Duplicate once Complete finished the key,
 * through In Progress while another claim holds it: Duplicate, In Progress and Dead Letter lead
 * nowhere. With `failRun`, a released event fails the run (Stop and Error), so a sender waiting
 * for the run gets a 5xx and retries.
 */
function processing(
	path: string,
	businessUrl: string,
	source: string,
	{ failRun = false }: { failRun?: boolean } = {},
): { nodes: INode[]; wires: Wire[] } {
	const claimed = {
		key: `={{ $('${GUARD}').item.json.id }}`,
		namespace: inboxNamespace(path),
		storeBackend: 'embedded',
		fencing: `={{ $('${GUARD}').item.json.idempotency.token }}`,
	};
	const nodes = [
		idempotencyCheckNode(
			GUARD,
			{
				operation: 'claim',
				namespace: inboxNamespace(path),
				leaseMinutes: LEASE_MINUTES,
				maxAttempts: MAX_ATTEMPTS,
				storeBackend: 'embedded',
			},
			[220, 0],
		),
		businessStep(businessUrl, GUARD, [440, 0]),
		idempotencyCheckNode('Mark Done', { operation: 'complete', ...claimed }, [660, -100]),
		idempotencyCheckNode(
			'Give Back',
			{ operation: 'release', ...claimed, maxAttempts: MAX_ATTEMPTS },
			[660, 100],
		),
	];
	const wires: Wire[] = [
		[source, GUARD],
		[GUARD, 'Business Step'],
		['Business Step', 'Mark Done'],
		['Business Step', 'Give Back', 0, 1],
	];
	if (failRun) {
		nodes.push(
			node(
				'Fail the Run',
				'n8n-nodes-base.stopAndError',
				1,
				{ errorMessage: 'The business step failed: the event was released for a retry' },
				[880, 100],
			),
		);
		wires.push(['Give Back', 'Fail the Run']);
	}
	return { nodes, wires };
}

/** Intake: the trigger keeps and claims each event before it answers, as `respondWhen` says. */
export function inboxIntakeWorkflow(respondWhen: RespondWhen) {
	return (path: string, businessUrl: string): WorkflowDefinition => {
		const { nodes, wires } = processing(path, businessUrl, 'Stripe Events', {
			failRun: respondWhen === 'whenFinished',
		});
		return workflow(
			`Crash test: inbox intake, respond ${respondWhen} (${path})`,
			[
				signedWebhookTrigger('Stripe Events', 3, {
					path,
					scheme: 'stripe',
					guarantee: 'inbox',
					respondWhen,
					leaseMinutes: LEASE_MINUTES,
					maxAttempts: MAX_ATTEMPTS,
					storeBackend: 'embedded',
				}),
				...nodes,
			],
			wires,
		);
	};
}

const webhookInboxNode = (name: string, path: string, parameters: INode['parameters']): INode =>
	node(
		name,
		'n8n-nodes-hybrid-sync.webhookInbox',
		1,
		{
			resource: 'delivery',
			path,
			leaseMinutes: LEASE_MINUTES,
			maxAttempts: MAX_ATTEMPTS,
			storeBackend: 'embedded',
			...parameters,
		},
		[0, 300],
	);

/** The recovery sweep of the intake on `path`: every few seconds, Recover Stuck, then the processing. */
export function recoverySweepWorkflow(path: string, businessUrl: string): WorkflowDefinition {
	const { nodes, wires } = processing(path, businessUrl, 'Recover Stuck');
	return workflow(
		`Crash test: recovery sweep (${path})`,
		[
			node(
				'Every Few Seconds',
				'n8n-nodes-base.scheduleTrigger',
				1.2,
				{ rule: { interval: [{ field: 'seconds', secondsInterval: SWEEP_EVERY_SECONDS }] } },
				[-260, 300],
			),
			webhookInboxNode('Recover Stuck', path, {
				operation: 'recoverStuck',
				graceMinutes: SWEEP_GRACE_MINUTES,
			}),
			...nodes,
		],
		[['Every Few Seconds', 'Recover Stuck'], ...wires],
	);
}

/** What an operator does after a fix, each from a webhook: redrive a window, requeue dead letters. */
const OPERATIONS = {
	redrive: {
		node: 'Redrive Window',
		parameters: { from: '={{ $json.body.from }}', to: '={{ $json.body.to }}' },
	},
	requeueDeadLetters: {
		node: 'Requeue Dead Letters',
		parameters: { eventIds: "={{ $json.body.eventIds.join(',') }}" },
	},
} as const;

export type InboxOperation = keyof typeof OPERATIONS;

export const operationPath = (path: string, operation: InboxOperation) => `${path}-${operation}`;

/**
 * An operator's action on the intake on `path`: a POST to `operationPath(path, operation)` with
 * `{ from, to }` (ISO times) for a redrive, `{ eventIds }` for a requeue runs it, then the
 * processing. Answers once the run finished.
 */
export function inboxOperationWorkflow(operation: InboxOperation) {
	return (path: string, businessUrl: string): WorkflowDefinition => {
		const { node: name, parameters } = OPERATIONS[operation];
		const { nodes, wires } = processing(path, businessUrl, name);
		const trigger = webhookNode(operationPath(path, operation), [-260, 300]);
		trigger.parameters = {
			...trigger.parameters,
			responseMode: 'lastNode',
			responseData: 'noData',
			options: {},
		};
		return workflow(
			`Crash test: ${operation} (${path})`,
			[trigger, webhookInboxNode(name, path, { operation, ...parameters }), ...nodes],
			[['Webhook', name], ...wires],
		);
	};
}

export const STORE_PLACEHOLDER = 'STORE';

const STORE_CREDENTIAL_TYPE = { redis: 'hybridSyncRedisApi', postgres: 'hybridSyncPostgresApi' };

/**
 * The same workflow keeping its keys and deliveries in Redis or PostgreSQL (n8n's queue mode needs
 * a store every process shares): each node of this package that stores gets the credential
 * placeholder STORE.
 */
export function onSharedStore(
	definition: WorkflowDefinition,
	backend: keyof typeof STORE_CREDENTIAL_TYPE,
	credentialName: string,
): WorkflowDefinition {
	return {
		...definition,
		nodes: definition.nodes.map((each) =>
			each.parameters.storeBackend === undefined
				? each
				: {
						...each,
						parameters: { ...each.parameters, storeBackend: backend },
						credentials: {
							...each.credentials,
							[STORE_CREDENTIAL_TYPE[backend]]: { id: STORE_PLACEHOLDER, name: credentialName },
						},
					},
		),
	};
}
