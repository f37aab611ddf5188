import type { BlockList } from 'node:net';

import {
	type FieldSource,
	type HeaderMap,
	headerValue,
	readField,
	redactHeaders,
} from '../envelope';
import {
	type HandshakeAnswer,
	type SignatureScheme,
	SignatureVerificationError,
	type VerifiedDelivery,
} from '../signatures';
import type { IdempotencyStore } from '../store/IdempotencyStore';
import { type AcceptedEvent, splitEvents } from './events';
import {
	type InboxConfig,
	type InboxStore,
	type KeptDelivery,
	keepAndClaim,
} from './inboxDelivery';
import { isIpAllowed } from './ipAllowlist';
import { type BodyFormat, BodyParseError, parseBody } from './parseBody';
import type { RateLimiter } from './rateLimiter';
import { logRejection } from './rejectionLog';

export type { AcceptedEvent } from './events';

/**
 * The Signed Webhook Trigger's whole decision, framework-free: size, origin, signature presence,
 * then (only now reading the secret) signature, freshness, rate, parse, handshake, then dedup at
 * receipt or, in inbox mode, keep and claim. The node maps the decision to an HTTP answer
 * (`httpAnswer`) and, for new or claimed events, an execution.
 */

export interface IncomingDelivery {
	rawBody: Buffer;
	headers: HeaderMap;
	method: string;
	/** The URL as the sender called it (the public URL override already applied). */
	url: string;
	ip: string | undefined;
	receivedAtMs: number;
	/** The body could not be read (too large for n8n's reader): this rejection is the answer. */
	readFailure?: Rejection;
}

export interface DedupConfig {
	namespace: string;
	windowMs: number;
	/** Overrides the scheme's natural event id. */
	idSource?: FieldSource;
}

export interface DeliveryConfig {
	scheme: SignatureScheme;
	/** `Infinity` turns the timestamp check off. */
	toleranceSeconds: number;
	maxBodyBytes: number;
	bodyFormat: BodyFormat;
	ipAllowlist?: BlockList;
	rateLimitPerMinute: number;
	rateLimitKey: string;
	/** Dedup window at receipt. Absent (with `inbox`): every verified delivery is new. */
	dedup?: DedupConfig;
	/** Keep and claim before the answer (version 3's default); absent for test-URL deliveries. */
	inbox?: InboxConfig;
	includeHeaders: boolean;
}

export interface DeliveryDependencies {
	/** Asked only for a delivery that passed every check needing no secret (cheap rejections). */
	secrets(): Promise<string[]>;
	/** Asked for a verified delivery when dedup or the inbox is configured, and for inbox mode's rejection log. */
	store?(): Promise<Pick<IdempotencyStore, 'markSeen'> & InboxStore>;
	rateLimiter: RateLimiter;
}

export type RejectionReason =
	| 'bodyTooLarge'
	| 'ipNotAllowed'
	| 'rateLimited'
	| 'signatureInvalid'
	| 'timestampOutOfTolerance'
	| 'bodyUnparseable'
	| 'misconfigured'
	| 'storeUnavailable';

export interface SeenEvent {
	eventId: string;
	firstSeenAt: string | null;
}

export type DeliveryDecision =
	| {
			outcome: 'rejected';
			status: 400 | 401 | 403 | 413 | 429 | 500 | 503;
			reason: RejectionReason;
			message: string;
			retryAfterSeconds?: number;
			/** For the operator's log only, never sent to the sender. */
			logDetail?: string;
	  }
	| { outcome: 'challenge'; response: HandshakeAnswer }
	| ({ outcome: 'duplicate' } & SeenEvent)
	| ({ outcome: 'accepted' } & AcceptedEvent)
	/** A delivery of several events (HubSpot, SendGrid): only `accepted` ones start the execution. */
	| { outcome: 'batch'; accepted: AcceptedEvent[]; duplicates: SeenEvent[] }
	/** Inbox mode: kept and claimed; only `claimed` events start the execution. */
	| KeptDelivery;

export type Rejection = Extract<DeliveryDecision, { outcome: 'rejected' }>;

export const reject = (
	status: Rejection['status'],
	reason: RejectionReason,
	message: string,
	retryAfterSeconds?: number,
): Rejection => ({
	outcome: 'rejected',
	status,
	reason,
	message,
	retryAfterSeconds,
});

/** What a WooCommerce ping is answered with: the 200 it needs, nothing else. */
const PING_ANSWER: HandshakeAnswer = {};

export async function handleDelivery(
	delivery: IncomingDelivery,
	config: DeliveryConfig,
	dependencies: DeliveryDependencies,
): Promise<DeliveryDecision> {
	const decision = await decide(delivery, config, dependencies);
	if (decision.outcome !== 'rejected' || !config.inbox || !dependencies.store) return decision;
	return await logRejection(decision, delivery, config.scheme, config.inbox, dependencies.store);
}

async function decide(
	delivery: IncomingDelivery,
	config: DeliveryConfig,
	dependencies: DeliveryDependencies,
): Promise<DeliveryDecision> {
	const cheap = delivery.readFailure ?? cheapRejection(delivery, config);
	if (cheap) return cheap;
	if (config.scheme.isUnsignedPing?.(delivery))
		return { outcome: 'challenge', response: PING_ANSWER };
	const missing = missingSignature(delivery, config.scheme);
	if (missing) return missing;

	const verified = verify(delivery, config, await dependencies.secrets());
	if ('outcome' in verified) return verified;

	// After verification, so that unsigned floods cannot use up a genuine sender's allowance.
	if (config.rateLimitPerMinute > 0) {
		const waitSeconds = dependencies.rateLimiter.take(
			config.rateLimitKey,
			config.rateLimitPerMinute,
		);
		if (waitSeconds > 0)
			return reject(429, 'rateLimited', 'Too many deliveries, retry later', waitSeconds);
	}

	let body: unknown;
	try {
		body = parseBody(
			delivery.rawBody,
			headerValue(delivery.headers, 'content-type'),
			config.bodyFormat,
		);
	} catch (error) {
		if (!(error instanceof BodyParseError)) throw error;
		return reject(400, 'bodyUnparseable', error.message);
	}

	const handshake = config.scheme.answerHandshake?.(body, verified.secret);
	if (handshake) return { outcome: 'challenge', response: handshake };

	const events = splitEvents(delivery, body, verified.timestampSeconds, {
		scheme: config.scheme,
		idSource: config.dedup?.idSource ?? config.inbox?.idSource,
		headers: config.includeHeaders
			? redactHeaders(delivery.headers, config.scheme.signature.header)
			: undefined,
	});
	if (config.inbox && dependencies.store) {
		try {
			const store = await dependencies.store();
			return await keepAndClaim(delivery, events, config.scheme, config.inbox, store);
		} catch (error) {
			return storeUnavailable('Inbox store is unavailable, retry later', error);
		}
	}
	const firstSeen = await recordFirstSeen(events, config.dedup, dependencies);
	if ('outcome' in firstSeen) return firstSeen;

	const accepted = events.filter((_event, index) => firstSeen.seenAt[index] === undefined);
	const duplicates = events.flatMap(({ eventId }, index) => {
		const seenAt = firstSeen.seenAt[index];
		return seenAt === undefined ? [] : [{ eventId, firstSeenAt: seenAt }];
	});
	if (config.scheme.batch) return { outcome: 'batch', accepted, duplicates };
	return accepted.length === 1
		? { outcome: 'accepted', ...accepted[0] }
		: { outcome: 'duplicate', ...duplicates[0] };
}

/** The checks that need neither a secret nor the store: size, then origin. */
function cheapRejection(delivery: IncomingDelivery, config: DeliveryConfig): Rejection | undefined {
	if (delivery.rawBody.length > config.maxBodyBytes) {
		return reject(
			413,
			'bodyTooLarge',
			`Request body is ${delivery.rawBody.length} bytes, the limit is ${config.maxBodyBytes}`,
		);
	}
	if (config.ipAllowlist && !isIpAllowed(config.ipAllowlist, delivery.ip)) {
		return reject(403, 'ipNotAllowed', 'Sender address is not in the allowlist');
	}
	return undefined;
}

/** Unsigned traffic is refused before a secret is read (n8n's credential read is costly). */
function missingSignature(
	delivery: IncomingDelivery,
	scheme: SignatureScheme,
): Rejection | undefined {
	if (readField(scheme.signature, delivery.headers, undefined) !== undefined) return undefined;
	const names = (scheme.signature.header ?? []).map((name) => `"${name}"`).join(' or ');
	return reject(401, 'signatureInvalid', `Missing required header ${names}`);
}

function verify(
	delivery: IncomingDelivery,
	config: DeliveryConfig,
	secrets: string[],
): VerifiedDelivery | Rejection {
	try {
		return config.scheme.verify(delivery, {
			secrets,
			toleranceSeconds: config.toleranceSeconds,
			nowSeconds: delivery.receivedAtMs / 1000,
		});
	} catch (error) {
		if (!(error instanceof SignatureVerificationError)) throw error;
		if (
			error.reason === 'noSecret' ||
			error.reason === 'invalidSecret' ||
			error.reason === 'invalidConfiguration'
		) {
			// Our configuration, not the sender's fault: a 5xx makes the sender retry, so nothing is lost.
			return {
				...reject(500, 'misconfigured', 'The receiver is misconfigured, retry later'),
				logDetail: error.message,
			};
		}
		const stale = error.reason === 'timestampTooOld' || error.reason === 'timestampInFuture';
		return reject(401, stale ? 'timestampOutOfTolerance' : 'signatureInvalid', error.message);
	}
}

/**
 * Records every event id in one atomic store call. `seenAt[i]` is undefined for a first-seen
 * event, else when the earlier copy was recorded (null when unknown).
 */
async function recordFirstSeen(
	events: AcceptedEvent[],
	dedup: DedupConfig | undefined,
	dependencies: DeliveryDependencies,
): Promise<{ seenAt: Array<string | null | undefined> } | Rejection> {
	if (!dedup || !dependencies.store || events.length === 0) {
		return { seenAt: events.map(() => undefined) };
	}
	try {
		const store = await dependencies.store();
		const outcomes = await store.markSeen(
			dedup.namespace,
			events.map(({ eventId }) => eventId),
			{ ttlMs: dedup.windowMs },
		);
		return {
			seenAt: outcomes.map((outcome) => {
				if (outcome.firstSeen) return undefined;
				const at = outcome.record.completedAt ?? outcome.record.updatedAt;
				return at ? new Date(at).toISOString() : null;
			}),
		};
	} catch (error) {
		return storeUnavailable('Deduplication store is unavailable, retry later', error);
	}
}

/** Nothing was acknowledged: the sender retries once the store is back. */
const storeUnavailable = (message: string, error: unknown): Rejection => ({
	...reject(503, 'storeUnavailable', message, 30),
	logDetail: error instanceof Error ? error.message : String(error),
});
