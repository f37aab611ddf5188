import type { AcceptedEvent, DeliveryDecision } from './handleDelivery';
import type { KeptDelivery, RepeatedEvent } from './inboxDelivery';

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
		case 'kept':
			return keptAnswer(decision);
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

const idsIn = (repeats: RepeatedEvent[], state: RepeatedEvent['state']) =>
	repeats.filter((repeat) => repeat.state === state).map(({ eventId }) => eventId);

/**
 * Inbox mode. Claimed events run and are acknowledged. With nothing claimed: a live claim of
 * another run is answered 409 with Retry-After (the sender comes back after the lease, when the
 * event is done, or released and claimable again) unless the node says 200; a completed event is
 * a duplicate; a dead-lettered one waits for a person and is acknowledged as such.
 */
function keptAnswer(decision: KeptDelivery): HttpAnswer {
	const { claimed, repeats } = decision;
	const answer = (status: number, body: Record<string, unknown>) => ({
		status,
		headers: {} as Record<string, string>,
		body,
		events: claimed,
	});
	const inProgressIds = idsIn(repeats, 'inProgress');
	if (claimed.length === 0 && inProgressIds.length > 0 && decision.whileInProgress === 'conflict') {
		const conflict = answer(409, {
			error: 'inProgress',
			message: 'A run is processing this event: retry after Retry-After seconds',
			...(decision.batch ? { inProgressIds } : { id: inProgressIds[0] }),
		});
		conflict.headers = { 'Retry-After': String(decision.retryAfterSeconds ?? 1) };
		return conflict;
	}
	if (decision.batch) {
		const deadLetterIds = idsIn(repeats, 'deadLetter');
		return answer(200, {
			received: true,
			ids: claimed.map(({ eventId }) => eventId),
			duplicateIds: idsIn(repeats, 'completed'),
			...(inProgressIds.length > 0 ? { inProgressIds } : {}),
			...(deadLetterIds.length > 0 ? { deadLetterIds } : {}),
		});
	}
	if (claimed.length > 0) return answer(200, { received: true, id: claimed[0].eventId });
	const [repeat] = repeats;
	switch (repeat.state) {
		case 'completed':
			return answer(200, {
				received: true,
				duplicate: true,
				id: repeat.eventId,
				firstSeenAt: isoOrNull(repeat.record.completedAt ?? repeat.record.updatedAt),
			});
		case 'inProgress':
			return answer(200, { received: true, inProgress: true, id: repeat.eventId });
		case 'deadLetter':
			return answer(200, { received: true, deadLetter: true, id: repeat.eventId });
	}
}

const isoOrNull = (epochMs: number | undefined) =>
	epochMs === undefined ? null : new Date(epochMs).toISOString();
