import { type INode, NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { CursorState } from '../../lib/poll/contracts';
import { PollResponseError, StalledCursorError } from '../../lib/poll/errors';
import { UpstreamError } from '../../lib/poll/pollCycle';

/** The poll's own errors as n8n's, with a description of what happens next or what to check. */
export function toNodeError(node: INode, error: unknown): NodeApiError | NodeOperationError {
	if (error instanceof UpstreamError) {
		return new NodeApiError(
			node,
			{ message: error.message },
			{
				message: error.message,
				httpCode: error.status === undefined ? undefined : String(error.status),
				description: 'The cursor stays where it was: the next poll asks for the same records.',
			},
		);
	}
	if (error instanceof PollResponseError) {
		return new NodeOperationError(node, error.message, {
			description:
				'Compare Records Path, Cursor Field, ID Field and the pagination settings with a response of the API.',
		});
	}
	if (error instanceof StalledCursorError) {
		return new NodeOperationError(node, error.message, {
			description:
				'Each poll reads the same records again until a setting changes; records after them do not arrive until then.',
		});
	}
	return new NodeOperationError(node, error instanceof Error ? error : new Error(String(error)));
}

/** The cursor for the log: a date for timestamps, else the number, and the boundary ids kept. */
export function describeCursor(state: CursorState): string {
	if (state.value === null) return 'start';
	const asDate = state.value > 1e11 ? new Date(state.value).toISOString() : String(state.value);
	return `${asDate} (+${state.seenIds.length} boundary ids)`;
}
