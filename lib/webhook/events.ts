import { createHash } from 'node:crypto';

import get from 'lodash/get';

import {
	type EventEnvelope,
	type FieldSource,
	type HeaderMap,
	headerValue,
	readField,
	toIsoTimestamp,
} from '../envelope';
import type { describeRecord } from '../idempotency/describeRecord';
import type { SignatureScheme } from '../signatures';

/** One event of a verified delivery, as the execution receives it. */
export interface AcceptedEvent {
	eventId: string;
	envelope: EventEnvelope;
	/**
	 * Inbox mode: the claim the trigger took for the event (with its fencing token), so Idempotency
	 * Check Complete or Release can act on it with no Claim node after the trigger.
	 */
	idempotency?: ReturnType<typeof describeRecord>;
}

export interface EventReading {
	scheme: SignatureScheme;
	/** Overrides the scheme's natural event id. */
	idSource?: FieldSource;
	/** Redacted request headers to copy into each envelope, when asked for. */
	headers?: Record<string, string>;
}

interface Delivery {
	rawBody: Buffer;
	headers: HeaderMap;
	receivedAtMs: number;
}

/**
 * The delivery's events: the body itself, or each element of the scheme's batch array (HubSpot,
 * SendGrid), each with its own id, type and time. A batch's body that is no array is one event.
 */
export function splitEvents(
	delivery: Delivery,
	body: unknown,
	signedTimestampSeconds: number | undefined,
	reading: EventReading,
): AcceptedEvent[] {
	const { scheme } = reading;
	const idSource = reading.idSource ?? scheme.eventId;
	const toEvent = (data: unknown, fallbackId: () => string, occurredAt: string | null) => {
		const eventId = boundedEventId(readField(idSource, delivery.headers, data) ?? fallbackId());
		const envelope: EventEnvelope = {
			id: eventId,
			type: readField(scheme.eventType, delivery.headers, data) ?? null,
			occurredAt,
			receivedAt: new Date(delivery.receivedAtMs).toISOString(),
			source: 'webhook',
			scheme: scheme.name,
			data,
		};
		if (reading.headers) envelope.headers = reading.headers;
		return { eventId, envelope };
	};

	if (!scheme.batch) {
		return [
			toEvent(
				body,
				() => sha256Id(delivery.rawBody),
				occurredAt(signedTimestampSeconds, delivery.headers, body),
			),
		];
	}
	const array = scheme.batch.arrayPath === '' ? body : get(body, scheme.batch.arrayPath);
	const events: unknown[] = Array.isArray(array) ? array : [body];
	// In a batch each event's own time says more than the delivery's signed one.
	return events.map((event) =>
		toEvent(
			event,
			() => sha256Id(JSON.stringify(event)),
			occurredAt(undefined, {}, event) ?? occurredAt(signedTimestampSeconds, {}, undefined),
		),
	);
}

const sha256Id = (bytes: Buffer | string) =>
	`sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** IDs are keys in the store; an absurdly long one (a sender's bug or an attack) is hashed. */
export const MAX_EVENT_ID_LENGTH = 512;
const boundedEventId = (id: string) =>
	id.length > MAX_EVENT_ID_LENGTH || id.includes('\u0000') ? sha256Id(id) : id;

const OCCURRED_AT_BODY_PATHS = [
	'occurred_at',
	'occurredAt',
	'created_at',
	'created',
	'timestamp',
	'event_time',
	'event_ts',
];

function occurredAt(
	signedTimestampSeconds: number | undefined,
	headers: HeaderMap,
	body: unknown,
): string | null {
	if (signedTimestampSeconds !== undefined) return toIsoTimestamp(signedTimestampSeconds);
	const triggeredAt = headerValue(headers, 'x-shopify-triggered-at');
	if (triggeredAt) return toIsoTimestamp(triggeredAt);
	if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
	for (const path of OCCURRED_AT_BODY_PATHS) {
		const value = (body as Record<string, unknown>)[path];
		if (value !== undefined) return toIsoTimestamp(value);
	}
	return null;
}
