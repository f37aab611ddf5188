/**
 * The inbox's rules as pure functions, shared by every backend: what a keep writes, what input is
 * refused (checked on the whole request before anything is written, so every backend refuses the
 * same input with the same message), and the content address of a raw body.
 */
import { createHash } from 'node:crypto';

import {
	type InboxBounds,
	type InboxEntry,
	type InboxEvent,
	type InboxQuery,
	type KeepRequest,
	REJECTED_BODY_PREFIX_BYTES,
	type RejectedDelivery,
} from './DeliveryInbox';
import { StoreError } from './IdempotencyStore';
import {
	describeTextProblem,
	encodeJson,
	MAX_KEY_BYTES,
	validateDuration,
	validateKeys,
	validateNamespace,
	validatePageLimit,
	validateTime,
} from './validation';

/** Event types, scheme names, paths, reasons: short labels, bounded so a row stays small. */
const MAX_LABEL_BYTES = 1024;
/** Redacted headers of one request; real ones are a few KB. */
const MAX_HEADERS_BYTES = 64 * 1024;

/** The content address of a raw body: sha256, hex. */
export const bodyHashOf = (rawBody: Buffer): string =>
	createHash('sha256').update(rawBody).digest('hex');

/** What a rejection keeps of a body: its first 2 KB as text, invalid UTF-8 replaced. */
export const rejectedBodyPrefix = (rawBody: Buffer): string =>
	rawBody.subarray(0, REJECTED_BODY_PREFIX_BYTES).toString('utf8');

/**
 * One event of a keep: `found` is the live entry (undefined when absent or expired). A first
 * receipt stores the event as given; a repeat only counts it and extends its retention, so the
 * entry keeps the bytes and envelope of the delivery that first carried the event.
 */
export function decideKeep(
	namespace: string,
	found: InboxEntry | undefined,
	event: InboxEvent,
	bodyHash: string,
	receivedAt: number,
	retentionMs: number,
): { firstReceipt: boolean; entry: InboxEntry } {
	const expiresAt = receivedAt + Math.ceil(retentionMs);
	if (found) {
		return {
			firstReceipt: false,
			entry: {
				...found,
				lastReceivedAt: Math.max(found.lastReceivedAt, receivedAt),
				receipts: found.receipts + 1,
				expiresAt: Math.max(found.expiresAt, expiresAt),
			},
		};
	}
	return {
		firstReceipt: true,
		entry: {
			namespace,
			eventId: event.eventId,
			eventType: event.eventType,
			scheme: event.scheme,
			path: event.path,
			envelope: event.envelope,
			headers: event.headers,
			bodyHash,
			receivedAt,
			lastReceivedAt: receivedAt,
			receipts: 1,
			expiresAt,
		},
	};
}

function validateLabel(what: string, value: unknown, optional = false): void {
	if (optional && value === null) return;
	const problem = describeTextProblem(value, MAX_LABEL_BYTES);
	if (problem) throw new StoreError(`${what} ${problem}`, 'invalidKey');
}

/** Answers the headers as JSON text. */
function encodeHeaders(what: string, headers: unknown): string {
	if (
		typeof headers !== 'object' ||
		headers === null ||
		Array.isArray(headers) ||
		Object.values(headers).some((value) => typeof value !== 'string')
	) {
		throw new StoreError(`${what} must be an object of text values`, 'invalidKey');
	}
	return encodeJson(headers, what, MAX_HEADERS_BYTES, `headers up to ${MAX_HEADERS_BYTES} bytes`)!;
}

export function validateBounds(bounds: InboxBounds): void {
	validateDuration('retentionMs', bounds.retentionMs);
	if (!Number.isInteger(bounds.maxEntries) || bounds.maxEntries < 1) {
		throw new StoreError(
			`maxEntries must be a whole number of at least 1, got ${String(bounds.maxEntries)}`,
			'invalidConfig',
		);
	}
}

export interface EncodedEvent {
	envelope: string;
	headers: string;
}

/** Also answers the body's hash and each event's envelope and headers as JSON text. */
export function validateKeep(
	namespace: string,
	request: KeepRequest,
	bounds: InboxBounds,
): { bodyHash: string; encoded: EncodedEvent[] } {
	validateNamespace(namespace);
	if (!Buffer.isBuffer(request.rawBody)) {
		throw new StoreError('The raw body must be a Buffer of the exact bytes received', 'invalidKey');
	}
	validateTime('receivedAt', request.receivedAt);
	if (request.receivedAt === undefined) {
		throw new StoreError('receivedAt must be a time in epoch milliseconds', 'invalidConfig');
	}
	validateBounds(bounds);
	if (!Array.isArray(request.events))
		throw new StoreError('Events must be given as an array', 'invalidKey');
	validateKeys(request.events.map((event) => event.eventId));
	const encoded = request.events.map((event, position) => {
		const at = `of the event at position ${position}`;
		validateLabel(`The event type ${at}`, event.eventType, true);
		validateLabel(`The scheme ${at}`, event.scheme);
		validateLabel(`The path ${at}`, event.path);
		const envelope = encodeJson(
			event.envelope,
			`The envelope ${at}`,
			Number.MAX_SAFE_INTEGER,
			'any JSON envelope',
		);
		if (envelope === undefined || typeof event.envelope !== 'object' || event.envelope === null) {
			throw new StoreError(`The envelope ${at} must be a JSON object`, 'invalidKey');
		}
		return { envelope, headers: encodeHeaders(`The headers ${at}`, event.headers) };
	});
	return { bodyHash: bodyHashOf(request.rawBody), encoded };
}

export function validateGet(namespace: string, eventIds: readonly string[]): void {
	validateNamespace(namespace);
	validateKeys(eventIds);
}

export function validateInboxFilter(
	namespace: string,
	query: Omit<InboxQuery, 'limit' | 'after'>,
): void {
	validateNamespace(namespace);
	validateTime('from', query.from);
	validateTime('to', query.to);
	if (query.eventType !== undefined) validateLabel('The event type filter', query.eventType);
}

export function validateInboxQuery(namespace: string, query: InboxQuery): void {
	validateInboxFilter(namespace, query);
	validatePageLimit(query.limit);
	if (query.after !== undefined) {
		validateTime('after.receivedAt', query.after.receivedAt);
		const problem = describeTextProblem(query.after.eventId, MAX_KEY_BYTES);
		if (problem) throw new StoreError(`The event id to continue after ${problem}`, 'invalidKey');
	}
}

/** Answers the headers as JSON text. */
export function validateRejection(
	namespace: string,
	rejection: RejectedDelivery,
	bounds: InboxBounds,
): string {
	validateNamespace(namespace);
	validateBounds(bounds);
	validateLabel('The rejection path', rejection.path);
	validateLabel('The rejection scheme', rejection.scheme);
	validateLabel('The rejection reason', rejection.reason);
	if (!Number.isInteger(rejection.status)) {
		throw new StoreError(
			`The rejection status must be an HTTP status code, got ${String(rejection.status)}`,
			'invalidKey',
		);
	}
	validateTime('The rejection time', rejection.at);
	if (rejection.at === undefined)
		throw new StoreError('The rejection time is missing', 'invalidConfig');
	if (
		typeof rejection.bodyPrefix !== 'string' ||
		rejection.bodyPrefix.length > REJECTED_BODY_PREFIX_BYTES
	) {
		throw new StoreError(
			`The rejection body prefix must be text of at most ${REJECTED_BODY_PREFIX_BYTES} characters (see rejectedBodyPrefix)`,
			'invalidKey',
		);
	}
	validateLabel('The rejection source IP', rejection.sourceIp, true);
	return encodeHeaders('The rejection headers', rejection.headers);
}

export function validateRejectionsQuery(
	namespace: string,
	query: { from?: number; to?: number; limit: number },
): void {
	validateNamespace(namespace);
	validateTime('from', query.from);
	validateTime('to', query.to);
	validatePageLimit(query.limit);
}

export function validateTally(namespace: string, since: number): void {
	validateNamespace(namespace);
	validateTime('since', since);
}
