import type { DeliveryDecision } from './handleDelivery';

export interface LogEntry {
	level: 'info' | 'warn' | 'error';
	message: string;
	/** Ids, reasons and statuses: never a secret, a signature or a body. */
	metadata: Record<string, unknown>;
}

/** A SendGrid batch can hold thousands of events: the line names the first ones and counts all. */
const MAX_LOGGED_IDS = 20;
const someIds = (events: ReadonlyArray<{ eventId: string }>) =>
	events.slice(0, MAX_LOGGED_IDS).map(({ eventId }) => eventId);

/** The operator's log line for a decision; a handshake is not worth one. */
export function decisionLog(decision: DeliveryDecision): LogEntry | undefined {
	switch (decision.outcome) {
		case 'accepted':
			return {
				level: 'info',
				message: 'Signed webhook accepted',
				metadata: { eventId: decision.eventId },
			};
		case 'duplicate':
			return {
				level: 'info',
				message: 'Signed webhook duplicate acknowledged',
				metadata: { eventId: decision.eventId },
			};
		case 'batch':
			return {
				level: 'info',
				message: 'Signed webhook batch accepted',
				metadata: {
					accepted: decision.accepted.length,
					duplicates: decision.duplicates.length,
					eventIds: someIds(decision.accepted),
					duplicateEventIds: someIds(decision.duplicates),
				},
			};
		case 'kept':
			return {
				level: 'info',
				message: 'Signed webhook kept in the inbox',
				metadata: {
					claimed: decision.claimed.length,
					repeats: decision.repeats.length,
					eventIds: someIds(decision.claimed),
					repeatedEvents: decision.repeats
						.slice(0, MAX_LOGGED_IDS)
						.map(({ eventId, state }) => `${eventId}: ${state}`),
				},
			};
		case 'rejected':
			return {
				level: decision.status >= 500 ? 'error' : 'warn',
				message: 'Signed webhook rejected',
				metadata: {
					status: decision.status,
					reason: decision.reason,
					message: decision.message,
					...(decision.logDetail ? { detail: decision.logDetail } : {}),
				},
			};
		case 'challenge':
			return undefined;
	}
}
