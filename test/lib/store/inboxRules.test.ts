/**
 * The inbox's pure rules: what a keep writes, what is refused before anything is written, and the
 * helpers callers use so that nothing but the first 2 KB of a refused body is stored.
 */
import type { InboxEntry, InboxEvent, KeepRequest } from '../../../lib/store/DeliveryInbox';
import {
	bodyHashOf,
	decideKeep,
	pageOf,
	rejectedBodyPrefix,
	validateKeep,
	validateRejection,
} from '../../../lib/store/inboxRules';
import { rejection } from './inboxContract';

const NOW = 1_750_000_000_000;
const RETENTION_MS = 60_000;
const BOUNDS = { retentionMs: RETENTION_MS, maxEntries: 10 };

const event: InboxEvent = {
	eventId: 'evt_1',
	eventType: 'invoice.paid',
	scheme: 'stripe',
	path: 'stripe',
	envelope: { id: 'evt_1' },
	headers: { 'content-type': 'application/json' },
};

const request = (overrides: Partial<KeepRequest> = {}): KeepRequest => ({
	rawBody: Buffer.from('{}'),
	events: [event],
	receivedAt: NOW,
	...overrides,
});

describe('decideKeep', () => {
	const first = decideKeep('ns', undefined, event, 'hash-a', NOW, RETENTION_MS);

	it('stores a first receipt as given, kept retentionMs from its receipt', () => {
		expect(first).toEqual({
			firstReceipt: true,
			entry: {
				namespace: 'ns',
				...event,
				bodyHash: 'hash-a',
				receivedAt: NOW,
				lastReceivedAt: NOW,
				receipts: 1,
				expiresAt: NOW + RETENTION_MS,
			},
		});
	});

	it('counts a repeat and extends the retention, keeping the first delivery', () => {
		const repeat = decideKeep(
			'ns',
			first.entry,
			{ ...event, envelope: { other: true } },
			'hash-b',
			NOW + 1000,
			RETENTION_MS,
		);
		expect(repeat).toEqual({
			firstReceipt: false,
			entry: {
				...first.entry,
				lastReceivedAt: NOW + 1000,
				receipts: 2,
				expiresAt: NOW + 1000 + RETENTION_MS,
			},
		});
	});

	it('never moves the last receipt or the expiry back for a repeat stamped earlier', () => {
		const later: InboxEntry = { ...first.entry, lastReceivedAt: NOW + 5000, expiresAt: NOW + 9e9 };
		const { entry } = decideKeep('ns', later, event, 'hash-a', NOW + 1, RETENTION_MS);
		expect(entry).toMatchObject({ lastReceivedAt: NOW + 5000, expiresAt: NOW + 9e9, receipts: 2 });
	});
});

describe('validateKeep', () => {
	it('answers the body hash and each event as JSON text', () => {
		expect(validateKeep('ns', request(), BOUNDS)).toEqual({
			bodyHash: bodyHashOf(Buffer.from('{}')),
			encoded: [{ envelope: '{"id":"evt_1"}', headers: '{"content-type":"application/json"}' }],
		});
		expect(bodyHashOf(Buffer.from('{}'))).toBe(
			'44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
		);
	});

	it.each([
		[
			'an envelope that is not an object',
			{ envelope: [] as unknown as Record<string, unknown> },
			/envelope of the event at position 0 must be a JSON object/,
		],
		[
			'a header that is not text',
			{ headers: { a: 1 } as unknown as Record<string, string> },
			/headers of the event at position 0 must be an object of text values/,
		],
		['an empty scheme', { scheme: '' }, /scheme of the event at position 0 is empty/],
		['an empty event type', { eventType: '' }, /event type of the event at position 0 is empty/],
		['an event id with NUL', { eventId: 'a\u0000' }, /key at position 0 contains a NUL character/],
	])('refuses %s', (_label, change, message) => {
		expect(() =>
			validateKeep('ns', request({ events: [{ ...event, ...change }] }), BOUNDS),
		).toThrow(
			expect.objectContaining({
				name: 'StoreError',
				reason: 'invalidKey',
				message: expect.stringMatching(message),
			}),
		);
	});

	it('refuses a receipt time and bounds that are not numbers', () => {
		expect(() => validateKeep('ns', request({ receivedAt: Number.NaN }), BOUNDS)).toThrow(
			/receivedAt must be a time/,
		);
		expect(() => validateKeep('ns', request(), { retentionMs: 0, maxEntries: 1 })).toThrow(
			/retentionMs must be a positive number/,
		);
		expect(() => validateKeep('ns', request(), { retentionMs: 1, maxEntries: 1.5 })).toThrow(
			/maxEntries must be a whole number/,
		);
	});
});

describe('rejections', () => {
	it('keep at most the first 2 KB of a body as text, invalid bytes replaced', () => {
		const prefix = rejectedBodyPrefix(Buffer.concat([Buffer.alloc(2047, 'a'), Buffer.from('é')]));
		expect(prefix).toBe(`${'a'.repeat(2047)}\ufffd`);
		expect(() =>
			validateRejection('ns', rejection(NOW, { bodyPrefix: prefix }), BOUNDS),
		).not.toThrow();
	});

	it('refuse a body prefix over 2 KB and a status that is not a code', () => {
		expect(() =>
			validateRejection('ns', rejection(NOW, { bodyPrefix: 'x'.repeat(2049) }), BOUNDS),
		).toThrow(/body prefix must be text of at most 2048 characters/);
		expect(() => validateRejection('ns', rejection(NOW, { status: 401.5 }), BOUNDS)).toThrow(
			/status must be an HTTP status code/,
		);
	});
});

describe('pageOf', () => {
	const entries = ['a', 'b', 'c'].map(
		(eventId, index) => ({ ...first(), eventId, receivedAt: NOW + index }) as InboxEntry,
	);
	function first(): InboxEntry {
		return decideKeep('ns', undefined, event, 'h', NOW, RETENTION_MS).entry;
	}

	it('answers the next position only when an entry beyond the limit was read', () => {
		expect(pageOf(entries, 2)).toEqual({
			entries: entries.slice(0, 2),
			next: { receivedAt: NOW + 1, eventId: 'b' },
		});
		expect(pageOf(entries, 3)).toEqual({ entries });
	});
});
