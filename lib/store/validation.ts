import {
	type ClaimOptions,
	type ClaimRequest,
	type CompleteOptions,
	type CompleteRequest,
	type KeyState,
	type ListKeysQuery,
	type MarkSeenOptions,
	type ReleaseOptions,
	type ReleaseRequest,
	StoreError,
	type VersionOptions,
	type VersionRequest,
} from './IdempotencyStore';

/** Room for 2,048 characters of any script (an emoji takes 4 bytes in UTF-8). */
export const MAX_KEY_BYTES = 8192;
export const MAX_NAMESPACE_BYTES = 256;
export const MAX_FINGERPRINT_BYTES = 1024;
/** Tokens this package makes are 36 characters; the bound only keeps foreign values sane. */
export const MAX_TOKEN_BYTES = 256;
/**
 * Stored results are meant for small replies (an id, a status), not whole payloads: the bound this
 * package had before cursors were kept as results.
 */
export const MAX_RESULT_BYTES = 64 * 1024;
/**
 * A Cursor Poll Trigger state holds its boundary and the ids seen inside the lookback window: about
 * 20,000 of them fit. Also the bound results had while cursors were kept as results, so every cursor
 * the previous release stored fits here.
 */
export const MAX_CURSOR_BYTES = 1024 * 1024;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function describeTextProblem(value: unknown, maxBytes: number): string | undefined {
	if (typeof value !== 'string')
		return `is ${value === null ? 'null' : typeof value}, not a string`;
	if (value.length === 0) return 'is empty';
	const bytes = Buffer.byteLength(value, 'utf8');
	if (bytes > maxBytes)
		return `is ${bytes} bytes long in UTF-8; at most ${maxBytes} bytes fit (hash longer values first)`;
	// PostgreSQL text cannot hold NUL, and a lone surrogate would turn into U+FFFD and collide with other keys.
	if (value.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
	if (LONE_SURROGATE.test(value))
		return 'contains a lone UTF-16 surrogate, which is not valid Unicode text';
	return undefined;
}

export function validateNamespace(namespace: string): void {
	const problem = describeTextProblem(namespace, MAX_NAMESPACE_BYTES);
	if (problem) throw new StoreError(`The store name ${problem}`, 'invalidKey');
}

export function validateKeys(keys: readonly string[]): void {
	if (!Array.isArray(keys)) throw new StoreError('Keys must be given as an array', 'invalidKey');
	keys.forEach((key, position) => {
		const problem = describeTextProblem(key, MAX_KEY_BYTES);
		if (problem) {
			const hint = problem === 'is empty' ? ': every item needs a non-empty key' : '';
			throw new StoreError(`The key at position ${position} ${problem}${hint}`, 'invalidKey');
		}
	});
}

function validateFingerprints(fingerprints: ReadonlyArray<string | undefined>): void {
	fingerprints.forEach((fingerprint, position) => {
		if (fingerprint === undefined) return;
		const problem = describeTextProblem(fingerprint, MAX_FINGERPRINT_BYTES);
		if (problem)
			throw new StoreError(`The fingerprint at position ${position} ${problem}`, 'invalidKey');
	});
}

function validateTokens(tokens: ReadonlyArray<string | undefined>): void {
	tokens.forEach((token, position) => {
		if (token === undefined) return;
		const problem = describeTextProblem(token, MAX_TOKEN_BYTES);
		if (problem)
			throw new StoreError(`The fencing token at position ${position} ${problem}`, 'invalidKey');
	});
}

/** JSON text of a value (undefined for undefined), refused over `maxBytes` before anything is written. */
export function encodeJson(
	value: unknown,
	what: string,
	maxBytes: number,
	advice: string,
): string | undefined {
	let text: string | undefined;
	try {
		text = JSON.stringify(value);
	} catch (error) {
		throw new StoreError(
			`${what} cannot be stored as JSON: ${(error as Error).message}`,
			'invalidKey',
			{ cause: error },
		);
	}
	if (text === undefined) return undefined;
	const bytes = Buffer.byteLength(text, 'utf8');
	if (bytes > maxBytes) {
		throw new StoreError(
			`${what} is ${bytes} bytes as JSON; the store keeps ${advice}`,
			'invalidKey',
		);
	}
	return text;
}

function encodeResult(result: unknown, position: number): string | undefined {
	return encodeJson(
		result,
		`The result at position ${position}`,
		MAX_RESULT_BYTES,
		`results up to ${MAX_RESULT_BYTES} bytes (store an id or a summary instead)`,
	);
}

export function validateCursorKey(key: string): void {
	const problem = describeTextProblem(key, MAX_KEY_BYTES);
	if (problem) throw new StoreError(`The cursor key ${problem}`, 'invalidKey');
}

/** Answers the state as JSON text. */
export function validateCursorWrite(key: string, state: unknown): string {
	validateCursorKey(key);
	const text = encodeJson(
		state,
		'The cursor state',
		MAX_CURSOR_BYTES,
		`cursor states up to ${MAX_CURSOR_BYTES} bytes (shorten the lookback window)`,
	);
	if (text === undefined)
		throw new StoreError(
			'The cursor state is undefined; a cursor needs a JSON value',
			'invalidKey',
		);
	return text;
}

export function decodeResult(text: string | null | undefined): unknown {
	return text === null || text === undefined ? undefined : JSON.parse(text);
}

export function validateDuration(name: string, value: number): void {
	if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
		throw new StoreError(
			`${name} must be a positive number of milliseconds, got ${String(value)}`,
			'invalidConfig',
		);
	}
}

function validateMaxAttempts(value: number): void {
	if (!Number.isInteger(value) || value < 1) {
		throw new StoreError(
			`maxAttempts must be a whole number of at least 1, got ${String(value)}`,
			'invalidConfig',
		);
	}
}

export function validateEntities(entities: readonly string[]): void {
	if (!Array.isArray(entities))
		throw new StoreError('Entities must be given as an array', 'invalidKey');
	entities.forEach((entity, position) => {
		const problem = describeTextProblem(entity, MAX_KEY_BYTES);
		if (problem) {
			const hint = problem === 'is empty' ? ': every item needs a non-empty entity' : '';
			throw new StoreError(`The entity at position ${position} ${problem}${hint}`, 'invalidKey');
		}
	});
}

/*
 * One check per operation, run on the whole batch before anything is written, so every backend
 * refuses the same input with the same message.
 */

export function validateClaim(
	namespace: string,
	requests: readonly ClaimRequest[],
	options: ClaimOptions,
): void {
	validateNamespace(namespace);
	validateKeys(requests.map((request) => request.key));
	validateFingerprints(requests.map((request) => request.fingerprint));
	validateDuration('leaseMs', options.leaseMs);
	if (options.maxAttempts !== undefined) validateMaxAttempts(options.maxAttempts);
	if (options.deadLetterRetentionMs !== undefined)
		validateDuration('deadLetterRetentionMs', options.deadLetterRetentionMs);
}

/** Also answers each result as JSON text (undefined for no result). */
export function validateComplete(
	namespace: string,
	requests: readonly CompleteRequest[],
	options: CompleteOptions,
): Array<string | undefined> {
	validateNamespace(namespace);
	validateKeys(requests.map((request) => request.key));
	validateTokens(requests.map((request) => request.token));
	const results = requests.map((request, position) => encodeResult(request.result, position));
	validateDuration('retentionMs', options.retentionMs);
	return results;
}

/** Also answers every request as an object (a bare key is a request without a token). */
export function validateRelease(
	namespace: string,
	requests: ReadonlyArray<string | ReleaseRequest>,
	options: ReleaseOptions,
): ReleaseRequest[] {
	validateNamespace(namespace);
	if (!Array.isArray(requests))
		throw new StoreError('Keys must be given as an array', 'invalidKey');
	const normalised = requests.map((request) =>
		typeof request === 'object' && request !== null ? request : { key: request },
	);
	validateKeys(normalised.map((request) => request.key));
	validateTokens(normalised.map((request) => request.token));
	validateMaxAttempts(options.maxAttempts);
	validateDuration('deadLetterRetentionMs', options.deadLetterRetentionMs);
	return normalised;
}

export function validateMarkSeen(
	namespace: string,
	keys: readonly string[],
	options: MarkSeenOptions,
): void {
	validateNamespace(namespace);
	validateKeys(keys);
	validateDuration('ttlMs', options.ttlMs);
}

/** For inspect and forget. */
export function validateLookup(namespace: string, keys: readonly string[]): void {
	validateNamespace(namespace);
	validateKeys(keys);
}

export function validateRecordVersions(
	namespace: string,
	requests: readonly VersionRequest[],
	options: VersionOptions,
): void {
	validateNamespace(namespace);
	validateEntities(requests.map((request) => request.entity));
	requests.forEach(({ version }, position) => {
		if (typeof version !== 'number' || !Number.isFinite(version)) {
			throw new StoreError(
				`The version at position ${position} must be a finite number, got ${typeof version === 'number' ? String(version) : (JSON.stringify(version) ?? 'undefined')}`,
				'invalidKey',
			);
		}
	});
	validateDuration('retentionMs', options.retentionMs);
}

export function validateReadVersions(namespace: string, entities: readonly string[]): void {
	validateNamespace(namespace);
	validateEntities(entities);
}

/** Records per `listKeys` page: a page is read whole into memory. */
export const MAX_LIST_LIMIT = 10_000;
const KEY_STATES: readonly KeyState[] = ['inProgress', 'completed', 'released', 'deadLetter'];

export function validatePageLimit(limit: number): void {
	if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
		throw new StoreError(
			`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got ${String(limit)}`,
			'invalidConfig',
		);
	}
}

export function validateTime(name: string, value: number | undefined): void {
	if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
		throw new StoreError(
			`${name} must be a time in epoch milliseconds, got ${String(value)}`,
			'invalidConfig',
		);
	}
}

export function validateListKeys(namespace: string, query: ListKeysQuery): void {
	validateNamespace(namespace);
	validatePageLimit(query.limit);
	validateTime('updatedSince', query.updatedSince);
	for (const state of query.states ?? []) {
		if (!KEY_STATES.includes(state)) {
			throw new StoreError(
				`Unknown key state "${String(state)}"; use ${KEY_STATES.join(', ')}`,
				'invalidConfig',
			);
		}
	}
	if (query.after !== undefined) {
		const problem = describeTextProblem(query.after, MAX_KEY_BYTES);
		if (problem) throw new StoreError(`The key to continue after ${problem}`, 'invalidKey');
	}
}

/** UTF-8 byte order: how every backend orders keys (SQLite and PostgreSQL "C" compare bytes). */
export const byUtf8 = (a: string, b: string): number =>
	Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
