import type { KeyRecord, KeyState } from '../../../lib/store/IdempotencyStore';
import {
	buildReport,
	classifyAgainstStore,
	countClassifications,
	DEFAULT_ALERT_THRESHOLD,
} from '../../../lib/reconcile/classify';
import { ReconcileError } from '../../../lib/reconcile/ReconcileError';

const NOW = 1_750_000_000_000;

function stored(key: string, state: KeyState, extra: Partial<KeyRecord> = {}): KeyRecord {
	return {
		namespace: 'orders',
		key,
		state,
		attempts: 1,
		expiresAt: NOW + 60_000,
		updatedAt: NOW,
		...extra,
	};
}

describe('classifyAgainstStore', () => {
	it('answers missing for a key the store never saw', () => {
		expect(classifyAgainstStore([{ key: 'a' }], [undefined])).toEqual(['missing']);
	});

	it('answers missing for a released key (claimed, never completed)', () => {
		expect(classifyAgainstStore([{ key: 'a' }], [stored('a', 'released')])).toEqual(['missing']);
	});

	it('answers handled for a completed key', () => {
		expect(classifyAgainstStore([{ key: 'a' }], [stored('a', 'completed')])).toEqual(['handled']);
	});

	it('answers inProgress for a claim whose lease runs', () => {
		const claim = stored('a', 'inProgress', { leaseExpiresAt: NOW + 1 });
		expect(classifyAgainstStore([{ key: 'a' }], [claim], undefined, NOW)).toEqual(['inProgress']);
		expect(classifyAgainstStore([{ key: 'a' }], [claim])).toEqual(['inProgress']);
	});

	it('answers missing for a claim whose lease ran out, as the store lets the next claim win it', () => {
		const claim = stored('a', 'inProgress', { leaseExpiresAt: NOW });
		expect(classifyAgainstStore([{ key: 'a' }], [claim], undefined, NOW)).toEqual(['missing']);
	});

	it('answers deadLetter for a key that failed too often', () => {
		expect(classifyAgainstStore([{ key: 'a' }], [stored('a', 'deadLetter')])).toEqual([
			'deadLetter',
		]);
	});

	it('answers changed when the source version is newer than the handled one', () => {
		expect(
			classifyAgainstStore([{ key: 'a', version: 3 }], [stored('a', 'completed')], [2]),
		).toEqual(['changed']);
	});

	it.each([
		['the same version', 2, 2],
		['an older version', 1, 2],
		['no handled version', 3, undefined],
		['no source version', undefined, 2],
		['a source version that is no number', Number.NaN, 2],
	])('answers handled for a completed key with %s', (_, version, handled) => {
		expect(
			classifyAgainstStore([{ key: 'a', version }], [stored('a', 'completed')], [handled]),
		).toEqual(['handled']);
	});

	it('keeps a newer source version of a key not yet completed in its own class', () => {
		expect(
			classifyAgainstStore(
				[
					{ key: 'a', version: 9 },
					{ key: 'b', version: 9 },
				],
				[undefined, stored('b', 'inProgress', { leaseExpiresAt: NOW + 1 })],
				[1, 1],
			),
		).toEqual(['missing', 'inProgress']);
	});

	it('rejects records that do not line up with the entries', () => {
		expect(() => classifyAgainstStore([{ key: 'a' }], [])).toThrow(
			new ReconcileError('Expected one store record per entry (1), got 0', 'misalignedInput'),
		);
		expect(() => classifyAgainstStore([{ key: 'a' }], [undefined], [])).toThrow(
			'Expected one store record and one handled version per entry (1), got 1 and 0',
		);
		expect(() => classifyAgainstStore([{ key: 'a' }], [stored('b', 'completed')])).toThrow(
			"Store record 0 is for key 'b', not 'a'",
		);
	});

	it('counts the classes', () => {
		expect(countClassifications(['missing', 'handled', 'handled', 'deadLetter'])).toEqual({
			missing: 1,
			handled: 2,
			changed: 0,
			inProgress: 0,
			deadLetter: 1,
		});
	});
});

describe('buildReport', () => {
	const window = { from: '2025-06-15T00:00:00Z', to: '2025-06-16T00:00:00Z' };

	it('reports every class and the recovery rate as recovered / processed', () => {
		const { report, alert } = buildReport({
			window,
			counts: { missing: 2, handled: 195, changed: 1, inProgress: 1, deadLetter: 1 },
			durationMs: 840,
		});
		expect(report).toEqual({
			window,
			processed: 200,
			alreadyHandled: 195,
			recovered: 2,
			changed: 1,
			inProgress: 1,
			deadLetter: 1,
			recoveryRate: 0.01,
			durationMs: 840,
		});
		expect(alert).toBe(false);
	});

	it('alerts once the recovery rate is above the default 1 %', () => {
		expect(DEFAULT_ALERT_THRESHOLD).toBe(0.01);
		const { alert } = buildReport({ window, counts: { missing: 3, handled: 197 }, durationMs: 1 });
		expect(alert).toBe(true);
	});

	it('alerts above a threshold of its own', () => {
		const counts = { missing: 3, handled: 97 };
		expect(buildReport({ window, counts, durationMs: 1, alertThreshold: 0.05 }).alert).toBe(false);
		expect(buildReport({ window, counts, durationMs: 1, alertThreshold: 0.02 }).alert).toBe(true);
	});

	it('answers a rate of 0 and no alert for an empty window', () => {
		const { report, alert } = buildReport({ window, counts: {}, durationMs: 0, alertThreshold: 0 });
		expect(report.processed).toBe(0);
		expect(report.recoveryRate).toBe(0);
		expect(alert).toBe(false);
	});

	it('does not count changed records as recovered', () => {
		const { report, alert } = buildReport({
			window,
			counts: { changed: 50, handled: 50 },
			durationMs: 1,
		});
		expect(report.recoveryRate).toBe(0);
		expect(alert).toBe(false);
	});

	it.each([
		[
			'a threshold above 1',
			{ alertThreshold: 5 },
			'Alert threshold must be a fraction from 0 to 1 (0.01 = 1 %), got 5',
		],
		[
			'a threshold that is no number',
			{ alertThreshold: Number.NaN },
			'Alert threshold must be a fraction from 0 to 1 (0.01 = 1 %), got NaN',
		],
		[
			'a negative count',
			{ counts: { missing: -1 } },
			"Count 'missing' must be a whole number of at least 0, got -1",
		],
		[
			'a fractional count',
			{ counts: { handled: 1.5 } },
			"Count 'handled' must be a whole number of at least 0, got 1.5",
		],
		['a negative duration', { durationMs: -1 }, 'Duration must be at least 0 ms, got -1'],
	])('rejects %s', (_, override, message) => {
		expect(() => buildReport({ window, counts: {}, durationMs: 1, ...override })).toThrow(
			new ReconcileError(message, 'invalidOptions'),
		);
	});
});
