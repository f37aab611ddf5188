import os from 'node:os';
import { performance } from 'node:perf_hooks';

import {
	reconcileAgainstStore,
	type ReconcileEntry,
	type ReconcileOutcome,
} from '../../lib/reconcile/againstStore';
import { type Classification, countClassifications } from '../../lib/reconcile/classify';
import type { Backend } from '../idempotency/storeClaims';
import { measurePeakMemory, type MemoryPeak } from './memory';

/**
 * `reconcileAgainstStore` alone, as the Reconcile node calls it, against a store holding 99 % of a
 * window's keys as completed: no n8n, no expressions, the entries built before the clock starts.
 * Every 100th key never reached the store; the sweep finds it missing and claims it.
 */

export const NAMESPACE = 'bench-reconcile';
/** One key in MISSING_EVERY is missing from the store: 1 %. */
export const MISSING_EVERY = 100;
const LEASE_MS = 5 * 60_000;
const RETENTION_MS = 7 * 24 * 3_600_000;
/** Keys per claim / complete / forget call while seeding and cleaning up (not measured). */
const SEED_BATCH = 1_000;

export interface Window {
	size: number;
	entries: ReconcileEntry[];
	/** The keys the store does not hold. */
	missing: string[];
}

const isMissing = (index: number) => index % MISSING_EVERY === 0;

/** The source window of `size` records, `{ key }` each, as the node hands them over. */
export function buildWindow(size: number): Window {
	const entries: ReconcileEntry[] = new Array(size);
	const missing: string[] = [];
	for (let index = 0; index < size; index++) {
		const key = `ord_${size}_${String(index).padStart(7, '0')}`;
		entries[index] = { key };
		if (isMissing(index)) missing.push(key);
	}
	return { size, entries, missing };
}

function* batches<T>(items: readonly T[], size: number): Generator<T[]> {
	for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/** Claims and completes every key of the window but the missing ones, as webhooks would have. */
export async function seed(
	backend: Backend,
	window: Window,
	namespace = NAMESPACE,
): Promise<number> {
	const handled = window.entries.filter((_, index) => !isMissing(index)).map(({ key }) => key);
	const started = performance.now();
	for (const keys of batches(handled, SEED_BATCH)) {
		const claims = await backend.store.claim(
			namespace,
			keys.map((key) => ({ key })),
			{ leaseMs: LEASE_MS },
		);
		const notClaimed = claims.find(({ status }) => status !== 'claimed');
		if (notClaimed)
			throw new Error(
				`${backend.name}: seeding claim of ${notClaimed.key} answered ${notClaimed.status}`,
			);
		const completes = await backend.store.complete(
			namespace,
			keys.map((key) => ({ key })),
			{ retentionMs: RETENTION_MS },
		);
		const notCompleted = completes.find(({ status }) => status !== 'completed');
		if (notCompleted)
			throw new Error(
				`${backend.name}: seeding complete of ${notCompleted.key} answered ${notCompleted.status}`,
			);
	}
	return handled.length / ((performance.now() - started) / 1000);
}

/** Drops keys from the store: the claims a sweep made, or a whole window once it is measured. */
export async function forget(backend: Backend, keys: readonly string[]): Promise<void> {
	for (const batch of batches(keys, SEED_BATCH)) await backend.store.forget(NAMESPACE, batch);
}

export interface SweepRun {
	backend: string;
	size: number;
	run: string;
	wallSeconds: number;
	keysPerSecond: number;
	/** CPU of this whole process (the store's client side, all of it for the embedded store) per key. */
	clientCpuMicrosPerKey: number;
	/** Redis only: time Redis spent in the store's scripts, per key. */
	serverMicrosPerKey?: number;
	memory: MemoryPeak;
	counts: Record<Classification, number>;
	claimed: number;
	loadAverage: number;
}

/** The sweep must find exactly the keys left out of the store, claim each, and call the rest handled. */
function checkOutcome(backend: string, window: Window, outcome: ReconcileOutcome): void {
	const counts = countClassifications(outcome.classes);
	const claimed = outcome.claimed.filter(Boolean).length;
	const expected = window.missing.length;
	const wrong =
		counts.missing !== expected ||
		claimed !== expected ||
		counts.handled !== window.size - expected ||
		counts.changed + counts.inProgress + counts.deadLetter !== 0;
	const missingKeys = new Set(window.missing);
	const misplaced = window.entries.findIndex(
		({ key }, index) => (outcome.classes[index] === 'missing') !== missingKeys.has(key),
	);
	if (wrong || misplaced !== -1) {
		throw new Error(
			`${backend}, ${window.size} keys: expected ${expected} missing and claimed, ${window.size - expected} handled; got ${JSON.stringify(counts)}, ${claimed} claimed${misplaced === -1 ? '' : `, first misplaced entry ${misplaced}`}`,
		);
	}
}

/**
 * One timed sweep over the window, then (untimed) the claims it made are forgotten, so the next run
 * finds the same keys missing again.
 */
export async function measureSweep(
	backend: Backend,
	window: Window,
	run: string,
): Promise<SweepRun> {
	const serverBefore = await backend.serverMicros?.();
	const cpuBefore = process.cpuUsage();
	const { value, memory } = await measurePeakMemory(async () => {
		const started = performance.now();
		const outcome = await reconcileAgainstStore(backend.store, NAMESPACE, window.entries, {
			claimRecovered: true,
			leaseMs: LEASE_MS,
		});
		return { outcome, wallSeconds: (performance.now() - started) / 1000 };
	});
	const cpu = process.cpuUsage(cpuBefore);
	const serverAfter = await backend.serverMicros?.();
	checkOutcome(backend.name, window, value.outcome);
	await forget(backend, window.missing);
	return {
		backend: backend.name,
		size: window.size,
		run,
		wallSeconds: value.wallSeconds,
		keysPerSecond: window.size / value.wallSeconds,
		clientCpuMicrosPerKey: (cpu.user + cpu.system) / window.size,
		serverMicrosPerKey:
			serverBefore === undefined || serverAfter === undefined
				? undefined
				: (serverAfter - serverBefore) / window.size,
		memory,
		counts: countClassifications(value.outcome.classes),
		claimed: value.outcome.claimed.filter(Boolean).length,
		loadAverage: os.loadavg()[0],
	};
}
