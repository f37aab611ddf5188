import { randomUUID } from 'node:crypto';

import type { IConnections, INode } from 'n8n-workflow';

import type { CreatedCredential, WorkflowDefinition } from '../harness';
import { idempotencyCheckNode, node, reconcileNode } from '../../support/workflowBuilder';

/**
 * The workflows of pollAndReconcileQueueMode.test.ts, wired as the templates wire them: Claim
 * before the business step, Complete after it with the claim's fencing token read from the node
 * that holds the claimed item (the HTTP step in between replaces the item). Credential
 * placeholder: STORE, the Redis or PostgreSQL store every node of a workflow shares.
 */

type StoreCredentialType = 'hybridSyncRedisApi' | 'hybridSyncPostgresApi';

const storeOf = (store: Pick<CreatedCredential, 'name' | 'type'>) => ({
	storeBackend: store.type === 'hybridSyncRedisApi' ? 'redis' : 'postgres',
});

const withStore = (built: INode, store: Pick<CreatedCredential, 'name' | 'type'>): INode => ({
	...built,
	credentials: { [store.type as StoreCredentialType]: { id: 'STORE', name: store.name } },
});

/** Wires as the canvas draws them: from a node's output (by index) to the first input of another. */
function connect(wires: Array<[from: string, output: number, to: string]>): IConnections {
	const connections: IConnections = {};
	for (const [from, output, to] of wires) {
		connections[from] ??= { main: [] };
		const outputs = connections[from].main;
		while (outputs.length <= output) outputs.push([]);
		outputs[output]!.push({ node: to, type: 'main', index: 0 });
	}
	return connections;
}

/** POSTs `{ eventId, via }` for each item to `url`. */
const businessStep = (name: string, url: string, via: string, position: [number, number]) =>
	node(
		name,
		'n8n-nodes-base.httpRequest',
		4.2,
		{
			method: 'POST',
			url,
			sendBody: true,
			bodyParameters: {
				parameters: [
					{ name: 'eventId', value: '={{ $json.id }}' },
					{ name: 'via', value: via },
				],
			},
			options: {},
		},
		position,
	);

/** Complete or Release of the key `claimedBy` claimed, with that claim's fencing token. */
const finishClaim = (
	name: string,
	operation: 'complete' | 'release',
	claimedBy: string,
	namespace: string,
	store: Pick<CreatedCredential, 'name' | 'type'>,
	position: [number, number],
) =>
	withStore(
		idempotencyCheckNode(
			name,
			{
				operation,
				key: `={{ $('${claimedBy}').item.json.id }}`,
				namespace,
				fencing: `={{ $('${claimedBy}').item.json.idempotency.token }}`,
				...storeOf(store),
			},
			position,
		),
		store,
	);

/**
 * "Order Changes", a Cursor Poll Trigger on the mock changes API's keyset route (pages of 5, two
 * per poll, committed after the run succeeded, cursor in `store`), then Claim, the business step,
 * and Complete; a failed business call is released and fails the run on purpose ("Fail the Run"),
 * so that the cursor stays and the poll brings the records again, as the README advises.
 */
export function cursorPollWorkflow(options: {
	changesUrl: string;
	backfillFrom: Date;
	businessUrl: string;
	namespace: string;
	store: Pick<CreatedCredential, 'name' | 'type'>;
}): WorkflowDefinition {
	const { changesUrl, backfillFrom, businessUrl, namespace, store } = options;
	const trigger = withStore(
		node(
			'Order Changes',
			'n8n-nodes-hybrid-sync.cursorPollTrigger',
			1,
			{
				pollIntervalSeconds: 1,
				url: `${changesUrl}/changes/cursor`,
				queryParameters: { parameters: [{ name: 'limit', value: '5' }] },
				recordsPath: 'data',
				cursorPath: 'updatedAt',
				idPath: 'id',
				paginationStyle: 'nextCursorField',
				nextCursorPath: 'next_cursor',
				nextCursorParam: 'cursor',
				maxPages: 2,
				firstRun: 'backfillFrom',
				backfillFrom: backfillFrom.toISOString(),
				commitMode: 'afterSuccess',
				emitMode: 'perPoll',
				...storeOf(store),
			},
			[0, 0],
		),
		store,
	);
	const claim = withStore(
		idempotencyCheckNode(
			'Claim Order',
			{ operation: 'claim', namespace, ...storeOf(store) },
			[240, 0],
		),
		store,
	);
	return {
		name: 'Queue mode: cursor poll, claimed and completed',
		nodes: [
			trigger,
			claim,
			// A failed call leaves through the error output, to Give Back.
			{
				...businessStep('Business Step', businessUrl, 'poll', [480, 0]),
				onError: 'continueErrorOutput',
			},
			// Above Release: n8n's v1 order runs the upper branch first, so a run's successful records
			// are completed before the failed one fails the run.
			finishClaim('Mark Done', 'complete', 'Claim Order', namespace, store, [720, -100]),
			finishClaim('Give Back', 'release', 'Claim Order', namespace, store, [720, 120]),
			node(
				'Fail the Run',
				'n8n-nodes-base.stopAndError',
				1,
				{ errorMessage: 'The business step failed: the cursor stays, the poll brings it again' },
				[960, 120],
			),
		],
		connections: connect([
			['Order Changes', 0, 'Claim Order'],
			['Claim Order', 0, 'Business Step'],
			['Business Step', 0, 'Mark Done'],
			['Business Step', 1, 'Give Back'],
			['Give Back', 0, 'Fail the Run'],
		]),
		settings: { executionOrder: 'v1' },
	};
}

/**
 * "Shop Orders", a Signed Webhook Trigger version 2 (Standard Webhooks) whose window dedup keeps
 * event IDs in `store`, then Claim, the business step and Complete, as the order templates do.
 * Credential placeholders: SIGNING_SECRET and STORE.
 */
export function signedWebhookIntakeWorkflow(options: {
	path: string;
	signingSecret: Pick<CreatedCredential, 'name'>;
	businessUrl: string;
	namespace: string;
	store: Pick<CreatedCredential, 'name' | 'type'>;
}): WorkflowDefinition {
	const { path, signingSecret, businessUrl, namespace, store } = options;
	const trigger: INode = {
		...withStore(
			node(
				'Shop Orders',
				'n8n-nodes-hybrid-sync.signedWebhookTrigger',
				2,
				{ path, scheme: 'standardWebhooks', deduplicate: true, ...storeOf(store) },
				[0, 0],
			),
			store,
		),
		webhookId: randomUUID(),
	};
	trigger.credentials = {
		...trigger.credentials,
		webhookSigningSecretApi: { id: 'SIGNING_SECRET', name: signingSecret.name },
	};
	return {
		name: 'Queue mode: signed webhook intake, claimed and completed',
		nodes: [
			trigger,
			withStore(
				idempotencyCheckNode(
					'Claim Order',
					{ operation: 'claim', namespace, ...storeOf(store) },
					[240, 0],
				),
				store,
			),
			businessStep('Business Step', businessUrl, 'webhook', [480, 0]),
			finishClaim('Mark Done', 'complete', 'Claim Order', namespace, store, [720, 0]),
		],
		connections: connect([
			['Shop Orders', 0, 'Claim Order'],
			['Claim Order', 0, 'Business Step'],
			['Business Step', 0, 'Mark Done'],
		]),
		settings: { executionOrder: 'v1' },
	};
}

/**
 * The nightly sweep's shape (templates/nightly-reconciliation.json) on a short schedule: every
 * `everySeconds`, the source's whole order list from `sourceUrl` (one item per order), Reconcile
 * against `store` under the intake's namespace claiming what is missing, then the same business
 * step and Complete with the sweep's claim token.
 */
export function reconcileSweepWorkflow(options: {
	everySeconds: number;
	sourceUrl: string;
	businessUrl: string;
	namespace: string;
	store: Pick<CreatedCredential, 'name' | 'type'>;
}): WorkflowDefinition {
	const { everySeconds, sourceUrl, businessUrl, namespace, store } = options;
	return {
		name: 'Queue mode: reconcile sweep',
		nodes: [
			node(
				'Every Few Seconds',
				'n8n-nodes-base.scheduleTrigger',
				1.2,
				{ rule: { interval: [{ field: 'seconds', secondsInterval: everySeconds }] } },
				[0, 0],
			),
			node(
				'Source Orders',
				'n8n-nodes-base.httpRequest',
				4.2,
				{ url: sourceUrl, options: {} },
				[240, 0],
			),
			withStore(
				reconcileNode(
					'Compare With Handled',
					{
						mode: 'againstStore',
						namespace,
						claimRecovered: true,
						window: 'every order of the source',
						reconcileOptions: { outputHandled: false },
						...storeOf(store),
					},
					[480, 0],
				),
				store,
			),
			businessStep('Recover Order', businessUrl, 'sweep', [760, -100]),
			finishClaim(
				'Mark Recovered',
				'complete',
				'Compare With Handled',
				namespace,
				store,
				[1000, -100],
			),
		],
		connections: connect([
			['Every Few Seconds', 0, 'Source Orders'],
			['Source Orders', 0, 'Compare With Handled'],
			['Compare With Handled', 0, 'Recover Order'],
			['Recover Order', 0, 'Mark Recovered'],
		]),
		settings: { executionOrder: 'v1' },
	};
}
