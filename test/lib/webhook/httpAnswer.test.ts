import type { EventEnvelope } from '../../../lib/envelope';
import { describeRecord } from '../../../lib/idempotency/describeRecord';
import type { KeyRecord } from '../../../lib/store/IdempotencyStore';
import type { KeptDelivery, RepeatedEvent } from '../../../lib/webhook/inboxDelivery';
import { bodyReadFailure, readRawBody } from '../../../lib/webhook/rawBody';
import { decisionLog } from '../../../lib/webhook/decisionLog';
import { reject } from '../../../lib/webhook/handleDelivery';
import { httpAnswer } from '../../../lib/webhook/httpAnswer';

const envelope = (id: string): EventEnvelope => ({
	id,
	type: 'invoice.paid',
	occurredAt: null,
	receivedAt: '2023-11-14T22:13:20.000Z',
	source: 'webhook',
	scheme: 'stripe',
	data: { id },
});

describe('httpAnswer', () => {
	it('answers a rejection with its status, reason and message, and Retry-After when set', () => {
		expect(httpAnswer(reject(429, 'rateLimited', 'Too many deliveries, retry later', 30))).toEqual({
			status: 429,
			headers: { 'Retry-After': '30' },
			body: { error: 'rateLimited', message: 'Too many deliveries, retry later' },
			events: [],
		});
	});

	it('never sends the log detail of a rejection', () => {
		const rejection = {
			...reject(503, 'storeUnavailable', 'retry later'),
			logDetail: 'ECONNREFUSED 10.0.0.5',
		};
		expect(JSON.stringify(httpAnswer(rejection))).not.toContain('ECONNREFUSED');
	});

	it('answers a new event with its id and runs it', () => {
		const event = { eventId: 'evt_1', envelope: envelope('evt_1') };
		expect(httpAnswer({ outcome: 'accepted', ...event })).toEqual({
			status: 200,
			headers: {},
			body: { received: true, id: 'evt_1' },
			events: [event],
		});
	});

	it('answers a duplicate with its first-seen time and runs nothing', () => {
		const answer = httpAnswer({
			outcome: 'duplicate',
			eventId: 'evt_1',
			firstSeenAt: '2023-11-14T22:00:00.000Z',
		});
		expect([answer.body, answer.events]).toEqual([
			{ received: true, duplicate: true, id: 'evt_1', firstSeenAt: '2023-11-14T22:00:00.000Z' },
			[],
		]);
	});

	it('answers a handshake with exactly what the sender asked for', () => {
		expect(httpAnswer({ outcome: 'challenge', response: { challenge: 'abc' } }).body).toEqual({
			challenge: 'abc',
		});
	});
});

describe('httpAnswer in inbox mode', () => {
	const NOW = Date.parse('2023-11-14T22:13:20.000Z');
	const record = (key: string, state: KeyRecord['state'], extra: Partial<KeyRecord> = {}) => ({
		namespace: 'webhook:payments',
		key,
		state,
		attempts: 1,
		expiresAt: NOW + 86_400_000,
		updatedAt: NOW,
		...extra,
	});
	const claimedEvent = (id: string) => ({
		eventId: id,
		envelope: envelope(id),
		idempotency: describeRecord(record(id, 'inProgress'), 'claimed', `token-${id}`),
	});
	const repeat = (
		eventId: string,
		state: RepeatedEvent['state'],
		extra: Partial<KeyRecord> = {},
	) => ({
		eventId,
		state,
		record: record(eventId, state, extra),
	});
	const kept = (overrides: Partial<KeptDelivery>): KeptDelivery => ({
		outcome: 'kept',
		batch: false,
		claimed: [],
		repeats: [],
		whileInProgress: 'conflict',
		...overrides,
	});

	it('runs a claimed event and acknowledges it', () => {
		const event = claimedEvent('evt_1');
		expect(httpAnswer(kept({ claimed: [event] }))).toEqual({
			status: 200,
			headers: {},
			body: { received: true, id: 'evt_1' },
			events: [event],
		});
	});

	it('answers a completed event as a duplicate with its completion time, running nothing', () => {
		const answer = httpAnswer(
			kept({ repeats: [repeat('evt_1', 'completed', { completedAt: NOW })] }),
		);
		expect(answer).toEqual({
			status: 200,
			headers: {},
			body: {
				received: true,
				duplicate: true,
				id: 'evt_1',
				firstSeenAt: '2023-11-14T22:13:20.000Z',
			},
			events: [],
		});
	});

	it('answers an event another run holds with 409 and the seconds left on its lease', () => {
		const answer = httpAnswer(
			kept({ repeats: [repeat('evt_1', 'inProgress')], retryAfterSeconds: 240 }),
		);
		expect([answer.status, answer.headers, answer.body.id, answer.events]).toEqual([
			409,
			{ 'Retry-After': '240' },
			'evt_1',
			[],
		]);
	});

	it('answers an event another run holds with 200 when the node says so', () => {
		const answer = httpAnswer(
			kept({
				repeats: [repeat('evt_1', 'inProgress')],
				retryAfterSeconds: 240,
				whileInProgress: 'acknowledge',
			}),
		);
		expect([answer.status, answer.headers, answer.body]).toEqual([
			200,
			{},
			{ received: true, inProgress: true, id: 'evt_1' },
		]);
	});

	it('acknowledges a dead-lettered event as such and runs nothing', () => {
		expect(httpAnswer(kept({ repeats: [repeat('evt_1', 'deadLetter')] }))).toMatchObject({
			status: 200,
			body: { received: true, deadLetter: true, id: 'evt_1' },
			events: [],
		});
	});

	it('runs the claimed events of a batch and lists the others by state', () => {
		const event = claimedEvent('e3');
		const answer = httpAnswer(
			kept({
				batch: true,
				claimed: [event],
				repeats: [
					repeat('e1', 'completed'),
					repeat('e2', 'inProgress'),
					repeat('e4', 'deadLetter'),
				],
				retryAfterSeconds: 60,
			}),
		);
		expect(answer).toEqual({
			status: 200,
			headers: {},
			body: {
				received: true,
				ids: ['e3'],
				duplicateIds: ['e1'],
				inProgressIds: ['e2'],
				deadLetterIds: ['e4'],
			},
			events: [event],
		});
	});

	it('answers a batch with nothing claimed and an event in progress with 409', () => {
		const answer = httpAnswer(
			kept({
				batch: true,
				repeats: [repeat('e1', 'completed'), repeat('e2', 'inProgress')],
				retryAfterSeconds: 7,
			}),
		);
		expect([answer.status, answer.headers, answer.body.inProgressIds]).toEqual([
			409,
			{ 'Retry-After': '7' },
			['e2'],
		]);
	});
});

describe('reading the raw body', () => {
	it('answers 413 when n8n refused the body as too large, the cause for the log only', async () => {
		const tooLarge = Object.assign(new Error('request entity too large'), { status: 413 });
		const request = { readRawBody: async () => Promise.reject(tooLarge) };
		expect(await readRawBody(request, 1024)).toEqual({
			outcome: 'rejected',
			status: 413,
			reason: 'bodyTooLarge',
			message: 'Request body is larger than the limit of 1024 bytes',
			retryAfterSeconds: undefined,
			logDetail: 'request entity too large',
		});
	});

	it('answers 400 for any other read failure', () => {
		expect(bodyReadFailure(new Error('aborted'), 1024)).toMatchObject({
			status: 400,
			reason: 'bodyUnparseable',
		});
	});

	it('answers the bytes n8n already read, or an empty body', async () => {
		const bytes = Buffer.from('{}');
		expect(await readRawBody({ rawBody: bytes, readRawBody: async () => undefined }, 10)).toBe(
			bytes,
		);
		expect(await readRawBody({ readRawBody: async () => undefined }, 10)).toEqual(Buffer.alloc(0));
	});
});

describe('decisionLog', () => {
	it('logs a server-side rejection as an error with its detail, a sender-side one as a warning', () => {
		const unavailable = {
			...reject(503, 'storeUnavailable', 'retry later'),
			logDetail: 'ECONNREFUSED',
		};
		expect([
			decisionLog(unavailable),
			decisionLog(reject(401, 'signatureInvalid', 'No signature matched')),
		]).toEqual([
			{
				level: 'error',
				message: 'Signed webhook rejected',
				metadata: {
					status: 503,
					reason: 'storeUnavailable',
					message: 'retry later',
					detail: 'ECONNREFUSED',
				},
			},
			{
				level: 'warn',
				message: 'Signed webhook rejected',
				metadata: { status: 401, reason: 'signatureInvalid', message: 'No signature matched' },
			},
		]);
	});

	it('counts a large batch and names only its first 20 events', () => {
		const accepted = Array.from({ length: 25 }, (_, index) => ({
			eventId: `e${index}`,
			envelope: envelope(`e${index}`),
		}));
		const log = decisionLog({ outcome: 'batch', accepted, duplicates: [] });
		expect([log?.metadata.accepted, (log?.metadata.eventIds as string[]).length]).toEqual([25, 20]);
	});

	it('logs what inbox mode claimed, and the state of each repeated event', () => {
		const record = {
			namespace: 'webhook:payments',
			key: 'e1',
			state: 'completed' as const,
			attempts: 1,
			expiresAt: 0,
			updatedAt: 0,
		};
		const log = decisionLog({
			outcome: 'kept',
			batch: true,
			claimed: [{ eventId: 'e2', envelope: envelope('e2') }],
			repeats: [{ eventId: 'e1', state: 'completed', record }],
			whileInProgress: 'conflict',
		});
		expect(log).toEqual({
			level: 'info',
			message: 'Signed webhook kept in the inbox',
			metadata: { claimed: 1, repeats: 1, eventIds: ['e2'], repeatedEvents: ['e1: completed'] },
		});
	});

	it('logs the ids of a batch, and nothing for a handshake', () => {
		const batch = decisionLog({
			outcome: 'batch',
			accepted: [{ eventId: 'e2', envelope: envelope('e2') }],
			duplicates: [{ eventId: 'e1', firstSeenAt: null }],
		});
		expect([batch?.metadata, decisionLog({ outcome: 'challenge', response: {} })]).toEqual([
			{ accepted: 1, duplicates: 1, eventIds: ['e2'], duplicateEventIds: ['e1'] },
			undefined,
		]);
	});
});
