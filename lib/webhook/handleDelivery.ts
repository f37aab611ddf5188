import { createHash } from 'node:crypto';
import type { BlockList } from 'node:net';

import {
	type EventEnvelope,
	type FieldSource,
	type HeaderMap,
	headerValue,
	readField,
	redactHeaders,
	toIsoTimestamp,
} from '../envelope';
import {
	answerZoomUrlValidation,
	type CustomHmacConfig,
	type SignatureScheme,
	SignatureVerificationError,
	type VerifyOptions,
} from '../signatures';
import type { IdempotencyStore } from '../store/IdempotencyStore';
import { type BodyFormat, BodyParseError, parseBody } from './parseBody';
import { isIpAllowed } from './ipAllowlist';
import type { RateLimiter } from './rateLimiter';

/**
 * The Signed Webhook Trigger's whole decision, framework-free: size, origin, rate, signature,
 * freshness, parse, dedup. The node maps the decision to an HTTP answer and (only for `accepted`)
 * an execution.
 */

export interface IncomingDelivery {
	rawBody: Buffer;
	headers: HeaderMap;
	method: string;
	/** The URL as the sender called it (the public URL override already applied). */
	url: string;
	ip: string | undefined;
	receivedAtMs: number;
}

export interface DedupConfig {
	namespace: string;
	windowMs: number;
	/** Overrides the scheme's natural event id. */
	idSource?: FieldSource;
}

export interface DeliveryConfig {
	scheme: SignatureScheme;
	customHmac?: CustomHmacConfig;
	secrets: string[];
	toleranceSeconds: number;
	maxBodyBytes: number;
	bodyFormat: BodyFormat;
	ipAllowlist?: BlockList;
	rateLimitPerMinute: number;
	rateLimitKey: string;
	dedup?: DedupConfig;
	includeHeaders: boolean;
}

export interface DeliveryDependencies {
	store?: IdempotencyStore;
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
	| {
			outcome: 'challenge';
			response: { plainToken: string; encryptedToken: string };
	  }
	| { outcome: 'duplicate'; eventId: string; firstSeenAt: string | null }
	| { outcome: 'accepted'; eventId: string; envelope: EventEnvelope };

type Rejection = Extract<DeliveryDecision, { outcome: 'rejected' }>;

const reject = (
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

export async function handleDelivery(
	delivery: IncomingDelivery,
	config: DeliveryConfig,
	dependencies: DeliveryDependencies,
): Promise<DeliveryDecision> {
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

	const verifyOptions: VerifyOptions = {
		secrets: config.secrets,
		toleranceSeconds: config.toleranceSeconds,
		nowSeconds: delivery.receivedAtMs / 1000,
	};
	let signedTimestampSeconds: number | undefined;
	try {
		const verified = config.scheme.verify(delivery, verifyOptions, config.customHmac);
		signedTimestampSeconds = verified.timestampSeconds;
	} catch (error) {
		if (!(error instanceof SignatureVerificationError)) throw error;
		if (error.reason === 'noSecret' || error.reason === 'invalidSecret') {
			// Our configuration, not the sender's fault: a 5xx makes the sender retry, so nothing is lost.
			return {
				...reject(500, 'misconfigured', 'The receiver is misconfigured, retry later'),
				logDetail: error.message,
			};
		}
		const stale = error.reason === 'timestampTooOld' || error.reason === 'timestampInFuture';
		return reject(401, stale ? 'timestampOutOfTolerance' : 'signatureInvalid', error.message);
	}

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

	const zoomChallenge = zoomUrlValidationToken(config.scheme, body);
	if (zoomChallenge !== undefined) {
		return {
			outcome: 'challenge',
			response: answerZoomUrlValidation(
				zoomChallenge,
				secretThatVerified(delivery, config, verifyOptions),
			),
		};
	}

	const eventId = boundedEventId(
		readField(config.dedup?.idSource ?? naturalEventId(config), delivery.headers, body) ??
			sha256Id(delivery.rawBody),
	);

	if (config.dedup && dependencies.store) {
		let outcome;
		try {
			[outcome] = await dependencies.store.markSeen(config.dedup.namespace, [eventId], {
				ttlMs: config.dedup.windowMs,
			});
		} catch (error) {
			return {
				...reject(503, 'storeUnavailable', 'Deduplication store is unavailable, retry later', 30),
				logDetail: error instanceof Error ? error.message : String(error),
			};
		}
		if (!outcome.firstSeen) {
			const firstSeenAt = outcome.record.completedAt ?? outcome.record.updatedAt;
			return {
				outcome: 'duplicate',
				eventId,
				firstSeenAt: firstSeenAt ? new Date(firstSeenAt).toISOString() : null,
			};
		}
	}

	const envelope: EventEnvelope = {
		id: eventId,
		type: readField(config.scheme.eventType, delivery.headers, body) ?? null,
		occurredAt: occurredAt(signedTimestampSeconds, delivery.headers, body),
		receivedAt: new Date(delivery.receivedAtMs).toISOString(),
		source: 'webhook',
		scheme: config.scheme.name,
		data: body,
	};
	if (config.includeHeaders) {
		envelope.headers = redactHeaders(
			delivery.headers,
			config.customHmac ? [config.customHmac.signatureHeader] : [],
		);
	}
	return { outcome: 'accepted', eventId, envelope };
}

/** Custom HMAC has no built-in id: its `idHeader` (also signed as {id}) is the event id. */
function naturalEventId(config: DeliveryConfig): FieldSource {
	if (config.scheme.name === 'customHmac' && config.customHmac?.idHeader) {
		return { header: [config.customHmac.idHeader] };
	}
	return config.scheme.eventId;
}

/**
 * Zoom expects the token hashed with the secret token that signed the request. Right after a
 * rotation that may be a previous secret, and answering with the current one fails the validation.
 */
function secretThatVerified(
	delivery: IncomingDelivery,
	config: DeliveryConfig,
	verifyOptions: VerifyOptions,
): string {
	const verifies = (secret: string): boolean => {
		try {
			config.scheme.verify(delivery, { ...verifyOptions, secrets: [secret] }, config.customHmac);
			return true;
		} catch {
			return false;
		}
	};
	// The delivery was verified with these secrets a moment ago, so one of them matches.
	return config.secrets.find(verifies) ?? config.secrets[0];
}

const sha256Id = (bytes: Buffer | string) =>
	`sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** IDs are keys in the store; an absurdly long one (a sender's bug or an attack) is hashed. */
const MAX_EVENT_ID_LENGTH = 512;
const boundedEventId = (id: string) =>
	id.length > MAX_EVENT_ID_LENGTH || id.includes('\u0000') ? sha256Id(id) : id;

function zoomUrlValidationToken(scheme: SignatureScheme, body: unknown): string | undefined {
	if (scheme.name !== 'zoom' || body === null || typeof body !== 'object') return undefined;
	const { event, payload } = body as {
		event?: unknown;
		payload?: { plainToken?: unknown };
	};
	if (event !== 'endpoint.url_validation') return undefined;
	return typeof payload?.plainToken === 'string' ? payload.plainToken : undefined;
}

const OCCURRED_AT_BODY_PATHS = [
	'occurred_at',
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
