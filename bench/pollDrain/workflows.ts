import { randomUUID } from 'node:crypto';

import { NodeConnectionTypes, type INode } from 'n8n-workflow';

import type { WorkflowDefinition } from '../../test/e2e/harness';

/**
 * The two ways of draining the mock changes API that the suite compares, as a user would build
 * them on the canvas.
 */

export const HTTP_REQUEST = 'Fetch Changes';
export const SPLIT_OUT = 'Split Out Records';
export const CURSOR_POLL_TRIGGER = 'Changes';

/**
 * a. n8n's HTTP Request node (4.2) behind a webhook, walking `/changes/cursor` with its built-in
 * pagination: `cursor` set from the previous page's `next_cursor` until that is null. It emits one
 * item per page (the page's body), as n8n's pagination does.
 * s. The same followed by Split Out on `data`: one item per record, what a user who wants records
 * as items builds.
 */
export function httpRequestDrainWorkflow(
	webhookPath: string,
	changesUrl: string,
	pageSize: number,
	maxPages: number,
	splitOut: boolean,
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
	const split: INode = {
		id: randomUUID(),
		name: SPLIT_OUT,
		type: 'n8n-nodes-base.splitOut',
		typeVersion: 1,
		position: [440, 0],
		parameters: { fieldToSplitOut: 'data', options: {} },
	};
	const connect = (node: string) => ({
		main: [[{ node, type: NodeConnectionTypes.Main, index: 0 }]],
	});
	return {
		name: `Bench: HTTP Request pagination drain${splitOut ? ' + Split Out' : ''}`,
		nodes: splitOut ? [webhook, fetchChanges, split] : [webhook, fetchChanges],
		connections: splitOut
			? { [webhook.name]: connect(HTTP_REQUEST), [HTTP_REQUEST]: connect(SPLIT_OUT) }
			: { [webhook.name]: connect(HTTP_REQUEST) },
		settings: { executionOrder: 'v1' },
	};
}

/**
 * c and p. The Cursor Poll Trigger on the same route, backfilling from `updatedSince`. Its first
 * poll runs at activation, the next ones `pollIntervalSeconds` after the previous one ended; each
 * reads up to `maxPages` pages, so a backlog larger than that drains over several polls. Every poll
 * emits one execution with its records (one item each, or one item per page), and the cursor
 * commits after that run succeeded (the defaults, at-least-once, embedded store).
 */
export function cursorPollTriggerWorkflow(
	changesUrl: string,
	updatedSince: string,
	pageSize: number,
	maxPages: number,
	pollIntervalSeconds: number,
	outputItems: 'record' | 'page',
): WorkflowDefinition {
	return {
		name: `Bench: Cursor Poll Trigger drain, ${maxPages} pages per poll, ${outputItems} items`,
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
					outputItems,
				},
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	};
}
