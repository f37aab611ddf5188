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
							parameters: [{ type: 'qs', name: 'cursor', value: '={{ $response.body.next_cursor }}' }],
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
			[webhook.name]: { main: [[{ node: HTTP_REQUEST, type: NodeConnectionTypes.Main, index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

/**
 * b. The Cursor Poll Trigger on the same route, backfilling from `updatedSince`, one item per record.
 * Activation runs its first poll at once (n8n's PollTriggerExecutor tests every poll trigger when
 * it is published), so publishing the workflow starts the drain.
 *
 * TODO(cursorPollTrigger): return the node's workflow here once nodes/CursorPollTrigger lands, with
 * the parameters its description defines: URL `changesUrl`, no authentication, cursor query
 * parameter `updated_since` in ISO, records at `data`, cursor at `updatedAt`, id at `id`,
 * pagination `nextCursorField` from `next_cursor` into query parameter `cursor`, page size
 * `pageSize`, a page limit of at least `maxPages`, first run "backfill from" `updatedSince`,
 * lookback 0, and a poll interval long enough that only the activation poll runs. Its node must be
 * named CURSOR_POLL_TRIGGER. Until then the suite measures (a) alone.
 */
export function cursorPollTriggerWorkflow(
	_changesUrl: string,
	_updatedSince: string,
	_pageSize: number,
	_maxPages: number,
): WorkflowDefinition | undefined {
	return undefined;
}
