import { type FieldSource, type HeaderMap, redactHeaders } from '../envelope';
import { describeClaim, describeRecord } from '../idempotency/describeRecord';
import { payloadFingerprint } from '../idempotency/fingerprint';
import type { SignatureScheme } from '../signatures';
import type { DeliveryInbox, InboxBounds, InboxEvent } from '../store/DeliveryInbox';
import type { ClaimOutcome, IdempotencyStore, KeyRecord } from '../store/IdempotencyStore';
import type { AcceptedEvent } from './events';

/**
 * Inbox mode of the Signed Webhook Trigger: every verified event is kept (raw bytes, redacted
 * headers, envelope) and claimed in the store *before* the answer, so a 2xx only ever acknowledges
 * an event that a run holds, that is done, or that waits in the inbox for a retry or the sweep.
 */

export interface InboxConfig {
	/** Namespace of the inbox entries and of the claims (Idempotency Check uses the same). */
	namespace: string;
	/** The webhook path, kept with each entry (stats per path). */
	path: string;
	leaseMs: number;
	maxAttempts: number;
	deadLetterRetentionMs: number;
	bounds: InboxBounds;
	/** A repeat of an event whose run holds a live claim: 409 with Retry-After, or 200. */
	whileInProgress: 'conflict' | 'acknowledge';
	/** Overrides the scheme's natural event id. */
	idSource?: FieldSource;
	/**
	 * Fields of the item the run receives (the envelope: `data.` is the body) whose hash must match
	 * for the same event id, as Idempotency Check's Payload Fingerprint Fields. Empty: no fingerprint.
	 */
	fingerprintFields?: string[];
}

/** What inbox mode needs of the store. */
export type InboxStore = Pick<IdempotencyStore, 'claim'> & {
	readonly inbox: Pick<DeliveryInbox, 'keep' | 'recordRejection'>;
};

/** An event not claimed by this delivery, and why. */
export interface RepeatedEvent {
	eventId: string;
	state: 'completed' | 'inProgress' | 'deadLetter';
	record: KeyRecord;
}

export interface KeptDelivery {
	outcome: 'kept';
	/** A delivery of several events (HubSpot, SendGrid): answered with lists of ids. */
	batch: boolean;
	/**
	 * The items of its one execution: each event this delivery claimed, with its claim, and each
	 * event whose payload differs from the first one kept under its id (`idempotency.status`
	 * `mismatch`, no token), so the workflow alerts on it.
	 */
	claimed: AcceptedEvent[];
	repeats: RepeatedEvent[];
	whileInProgress: InboxConfig['whileInProgress'];
	/** Seconds until the latest lease of a repeated in-progress event ends (at least 1). */
	retryAfterSeconds?: number;
}

interface Delivery {
	rawBody: Buffer;
	headers: HeaderMap;
	receivedAtMs: number;
}

/** One `keep` for the delivery, then one `claim` for its events; only then is the answer decided. */
export async function keepAndClaim(
	delivery: Delivery,
	events: AcceptedEvent[],
	scheme: SignatureScheme,
	config: InboxConfig,
	store: InboxStore,
): Promise<KeptDelivery> {
	const headers = redactHeaders(delivery.headers, scheme.signature.header);
	const kept = events.map(
		({ eventId, envelope }): InboxEvent => ({
			eventId,
			eventType: envelope.type,
			scheme: scheme.name,
			path: config.path,
			envelope: { ...envelope },
			headers,
		}),
	);
	await store.inbox.keep(
		config.namespace,
		{ rawBody: delivery.rawBody, events: kept, receivedAt: delivery.receivedAtMs },
		config.bounds,
	);
	const outcomes = await store.claim(
		config.namespace,
		events.map(({ eventId, envelope }) => ({
			key: eventId,
			fingerprint: fingerprintOf(envelope, config.fingerprintFields),
		})),
		{
			leaseMs: config.leaseMs,
			maxAttempts: config.maxAttempts,
			deadLetterRetentionMs: config.deadLetterRetentionMs,
		},
	);

	const claimed: AcceptedEvent[] = [];
	const repeats: RepeatedEvent[] = [];
	outcomes.forEach((outcome, index) => {
		if (outcome.status === 'claimed') {
			claimed.push({
				...events[index],
				idempotency: describeClaim(outcome.record),
			});
		} else if (outcome.status === 'mismatch') {
			claimed.push({ ...events[index], idempotency: describeRecord(outcome.record, 'mismatch') });
		} else {
			repeats.push({ eventId: outcome.key, state: repeatState(outcome), record: outcome.record });
		}
	});
	return {
		outcome: 'kept',
		batch: scheme.batch !== undefined,
		claimed,
		repeats,
		whileInProgress: config.whileInProgress,
		retryAfterSeconds: secondsUntilLeasesEnd(repeats, delivery.receivedAtMs),
	};
}

const fingerprintOf = (envelope: AcceptedEvent['envelope'], fields: string[] = []) =>
	fields.length > 0 ? payloadFingerprint(envelope, fields) : undefined;

/** `mismatch` is taken out before: it runs. */
function repeatState(outcome: ClaimOutcome): RepeatedEvent['state'] {
	return outcome.status === 'inProgress' || outcome.status === 'deadLetter'
		? outcome.status
		: 'completed';
}

function secondsUntilLeasesEnd(repeats: RepeatedEvent[], nowMs: number): number | undefined {
	const leaseEnds = repeats
		.filter(({ state }) => state === 'inProgress')
		.map(({ record }) => record.leaseExpiresAt ?? nowMs);
	if (leaseEnds.length === 0) return undefined;
	return Math.max(1, Math.ceil((Math.max(...leaseEnds) - nowMs) / 1000));
}
