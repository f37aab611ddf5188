import { randomUUID } from 'node:crypto';

import { NodeConnectionTypes, type INode } from 'n8n-workflow';

import type { WorkflowDefinition } from '../../test/e2e/harness';

/**
 * The two ways of draining the mock changes API that the suite compares, as a user would build
 * them on the canvas.
 */

export const HTTP_REQUEST = 'Fetch Changes';
export const CURSOR_POLL_TRIGGER = 'Changes';

/**
 * a. n8n's HTTP Request node (4.2) behind a webhook, walking `/changes/cursor` with its built-in
 * pagination: `cursor` set from the previous page's `next_cursor` until that is null. It emits one
 * item per page (the page's body), as n8n's pagination does.
 */
export function httpRequestDrainWorkflow(
	webhookPath: string,
	changesUrl: string,
	pageSize: number,
	maxPages: number,
): WorkflowDefinition {
	const webhook: INode = {
		id: randomUUID(),
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2.1,
		position: [0, 0],
		webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'onReceived', options: {} },
	};
	const fetchChanges: INode = {
		id: randomUUID(),
		name: HTTP_REQUEST,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [220, 0],
		parameters: {
			url: changesUrl,
			sendQuery: true,
			queryParameters: {
				parameters: [
					{ name: 'updated_since', value: '={{ $json.body.updatedSince }}' },
					{ name: 'limit', value: String(pageSize) },
				],
			},
			options: {
				pagination: {
					pagination: {
						paginationMode: 'updateAParameterInEachRequest',
						parameters: {
							parameters: [
								{ type: 'qs', name: 'cursor', value: '={{ $response.body.next_cursor }}' },
							],
						},
						paginationCompleteWhen: 'other',
						completeExpression: '={{ $response.body.next_cursor === null }}',
						limitPagesFetched: true,
						maxRequests: maxPages,
					},
				},
			},
		},
	};
	return {
		name: 'Bench: HTTP Request pagination drain',
		nodes: [webhook, fetchChanges],
		connections: {
			[webhook.name]: {
				main: [[{ node: HTTP_REQUEST, type: NodeConnectionTypes.Main, index: 0 }]],
			},
		},
		settings: { executionOrder: 'v1' },
	};
}

/**
 * b. The Cursor Poll Trigger on the same route, backfilling from `updatedSince`. Its first poll runs
 * at activation, the next ones `pollIntervalSeconds` after the previous one ended; each reads up to
 * `maxPages` pages, so a backlog larger than that drains over several polls. Every poll emits one
 * execution with its records, and the cursor commits after that run succeeded (the defaults,
 * at-least-once, embedded store).
 */
export function cursorPollTriggerWorkflow(
	changesUrl: string,
	updatedSince: string,
	pageSize: number,
	maxPages: number,
	pollIntervalSeconds: number,
): WorkflowDefinition {
	return {
		name: `Bench: Cursor Poll Trigger drain, ${maxPages} pages per poll`,
		nodes: [
			{
				id: randomUUID(),
				name: CURSOR_POLL_TRIGGER,
				type: 'n8n-nodes-hybrid-sync.cursorPollTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {
					pollIntervalSeconds,
					url: changesUrl,
					queryParameters: { parameters: [{ name: 'limit', value: String(pageSize) }] },
					cursorParam: 'updated_since',
					recordsPath: 'data',
					cursorPath: 'updatedAt',
					idPath: 'id',
					paginationStyle: 'nextCursorField',
					nextCursorPath: 'next_cursor',
					nextCursorParam: 'cursor',
					maxPages,
					firstRun: 'backfillFrom',
					backfillFrom: updatedSince,
				},
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	};
}
