import type { AcceptedEvent, DeliveryDecision } from './handleDelivery';

/** What the sender gets back, and which events (if any) start the one execution. */
export interface HttpAnswer {
	status: number;
	headers: Record<string, string>;
	body: Record<string, unknown>;
	/** The events of the execution; empty: no execution. */
	events: AcceptedEvent[];
}

export function httpAnswer(decision: DeliveryDecision): HttpAnswer {
	const answer = (status: number, body: Record<string, unknown>, events: AcceptedEvent[] = []) => ({
		status,
		headers: {},
		body,
		events,
	});
	switch (decision.outcome) {
		case 'rejected': {
			const rejected = answer(decision.status, {
				error: decision.reason,
				message: decision.message,
			});
			if (decision.retryAfterSeconds) {
				rejected.headers = { 'Retry-After': String(decision.retryAfterSeconds) };
			}
			return rejected;
		}
		case 'challenge':
			return answer(200, decision.response);
		case 'duplicate':
			return answer(200, {
				received: true,
				duplicate: true,
				id: decision.eventId,
				firstSeenAt: decision.firstSeenAt,
			});
		case 'accepted':
			return answer(200, { received: true, id: decision.eventId }, [
				{ eventId: decision.eventId, envelope: decision.envelope },
			]);
		case 'batch': {
			const ids = decision.accepted.map(({ eventId }) => eventId);
			const duplicateIds = decision.duplicates.map(({ eventId }) => eventId);
			// All duplicates: the retry of a batch already run, answered as a duplicate.
			const allDuplicates = ids.length === 0 && duplicateIds.length > 0;
			return answer(
				200,
				allDuplicates
					? { received: true, duplicate: true, duplicateIds }
					: { received: true, ids, duplicateIds },
				decision.accepted,
			);
		}
	}
}
