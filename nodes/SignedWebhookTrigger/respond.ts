import type {
	IDataObject,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { decisionLog } from '../../lib/webhook/decisionLog';
import type { DeliveryDecision } from '../../lib/webhook/handleDelivery';
import type { HttpAnswer } from '../../lib/webhook/httpAnswer';

/** The answer written to n8n's response; new events become the items of one execution. */
export async function respond(
	context: IWebhookFunctions,
	answer: HttpAnswer,
	rawBodyProperty: string | undefined,
): Promise<IWebhookResponseData> {
	if (answer.events.length === 0) {
		const response = context.getResponseObject();
		for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
		response.status(answer.status).json(answer.body);
		return { noWebhookResponse: true };
	}
	const request = context.getRequestObject();
	const binary = rawBodyProperty && {
		[rawBodyProperty]: await context.helpers.prepareBinaryData(
			request.rawBody,
			'body',
			request.headers['content-type'],
		),
	};
	const items: INodeExecutionData[] = answer.events.map(({ envelope, idempotency }) => ({
		json: (idempotency ? { ...envelope, idempotency } : envelope) as unknown as IDataObject,
		...(binary ? { binary } : {}),
	}));
	return { workflowData: [items], webhookResponse: answer.body };
}

export function logDecision(
	context: IWebhookFunctions,
	scheme: string,
	decision: DeliveryDecision,
): void {
	const log = decisionLog(decision);
	if (!log) return;
	context.logger[log.level](log.message, {
		workflowId: context.getWorkflow().id,
		node: context.getNode().name,
		scheme,
		...log.metadata,
	});
}
