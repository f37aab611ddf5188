import { type HeaderMap, redactHeaders } from '../envelope';
import type { SignatureScheme } from '../signatures';
import { REJECTED_BODY_PREFIX_BYTES } from '../store/DeliveryInbox';
import type { Rejection } from './handleDelivery';
import type { InboxConfig, InboxStore } from './inboxDelivery';

interface RefusedDelivery {
	rawBody: Buffer;
	headers: HeaderMap;
	ip: string | undefined;
	receivedAtMs: number;
}

/**
 * Inbox mode logs every refused delivery apart from the inbox, so "why does my provider get 401?"
 * has an answer: reason, status, redacted headers (signature values never), the first 2 KB of the
 * body and the source address. The answer to the sender stays the rejection, whether or not the
 * log could be written; a store that is down is the rejection itself and is not logged.
 */
export async function logRejection(
	rejection: Rejection,
	delivery: RefusedDelivery,
	scheme: SignatureScheme,
	config: InboxConfig,
	store: () => Promise<InboxStore>,
): Promise<Rejection> {
	if (rejection.reason === 'storeUnavailable') return rejection;
	try {
		await (
			await store()
		).inbox.recordRejection(
			config.namespace,
			{
				path: config.path,
				scheme: scheme.name,
				reason: rejection.reason,
				status: rejection.status,
				at: delivery.receivedAtMs,
				headers: redactHeaders(delivery.headers, scheme.signature.header),
				bodyPrefix: delivery.rawBody.subarray(0, REJECTED_BODY_PREFIX_BYTES).toString('utf8'),
				sourceIp: delivery.ip ?? null,
			},
			config.bounds,
		);
		return rejection;
	} catch (error) {
		const cause = error instanceof Error ? error.message : String(error);
		const detail = `not written to the rejection log: ${cause}`;
		return {
			...rejection,
			logDetail: rejection.logDetail ? `${rejection.logDetail}; ${detail}` : detail,
		};
	}
}
