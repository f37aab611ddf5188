import os from 'node:os';
import { performance } from 'node:perf_hooks';

import type {
	ClaimOutcome,
	ClaimRequest,
	ClaimStatus,
	IdempotencyStore,
} from '../../lib/store/IdempotencyStore';

/**
 * Claims per second through the store interface alone: no n8n, no expressions, the requests built
 * before the clock starts. The new path claims keys no store has seen; the duplicate path claims
 * them again after they were completed, the answer a sender's retry gets.
 */

export const KEYS_PER_PASS = 10_000;
const NAMESPACE = 'bench-claims';
const CLAIM = { leaseMs: 5 * 60_000 };
const COMPLETE = { retentionMs: 24 * 3_600_000 };
/** Completing is not what is measured, only what turns the keys into duplicates. */
const COMPLETE_BATCH = 1_000;

export type ClaimPath = 'new' | 'duplicate';
const EXPECTED: Record<ClaimPath, ClaimStatus> = { new: 'claimed', duplicate: 'duplicate' };

export interface Backend {
	name: string;
	store: IdempotencyStore;
	/** Time the server spent on this store's commands so far, where the server counts it. */
	serverMicros?: () => Promise<number>;
}

export interface PassResult {
	backend: string;
	batchSize: number;
	path: ClaimPath;
	keys: number;
	wallSeconds: number;
	keysPerSecond: number;
	/** CPU of this whole process (the store's client side) per key. */
	clientCpuMicrosPerKey: number;
	serverMicrosPerKey?: number;
	loadAverage: number;
}

function batchesOf(keys: string[], batchSize: number): ClaimRequest[][] {
	const batches: ClaimRequest[][] = [];
	for (let start = 0; start < keys.length; start += batchSize) {
		batches.push(keys.slice(start, start + batchSize).map((key) => ({ key })));
	}
	return batches;
}

/** A pass that answered anything but the expected status measured something else: fail loudly. */
function checkOutcomes(backend: string, path: ClaimPath, answers: ClaimOutcome[][]): void {
	const expected = EXPECTED[path];
	const wrong = answers.flat().filter((outcome) => outcome.status !== expected);
	if (wrong.length > 0) {
		throw new Error(
			`${backend}, ${path} keys: ${wrong.length} claim(s) answered "${wrong[0].status}" instead of "${expected}" (key ${wrong[0].key})`,
		);
	}
}

async function timedClaims(
	backend: Backend,
	path: ClaimPath,
	batches: ClaimRequest[][],
): Promise<PassResult> {
	const keys = batches.reduce((sum, batch) => sum + batch.length, 0);
	const answers: ClaimOutcome[][] = [];
	const serverBefore = await backend.serverMicros?.();
	const cpuBefore = process.cpuUsage();
	const startedAt = performance.now();
	for (const batch of batches) answers.push(await backend.store.claim(NAMESPACE, batch, CLAIM));
	const wallSeconds = (performance.now() - startedAt) / 1000;
	const cpu = process.cpuUsage(cpuBefore);
	const serverAfter = await backend.serverMicros?.();
	checkOutcomes(backend.name, path, answers);
	return {
		backend: backend.name,
		batchSize: batches[0].length,
		path,
		keys,
		wallSeconds,
		keysPerSecond: keys / wallSeconds,
		clientCpuMicrosPerKey: (cpu.user + cpu.system) / keys,
		loadAverage: os.loadavg()[0],
		...(serverBefore === undefined || serverAfter === undefined
			? {}
			: { serverMicrosPerKey: (serverAfter - serverBefore) / keys }),
	};
}

/**
 * Claims `KEYS_PER_PASS` fresh keys in batches of `batchSize`, completes them (untimed), and
 * claims them again: one result for each path.
 */
export async function measureClaims(
	backend: Backend,
	batchSize: number,
	keyPrefix: string,
): Promise<PassResult[]> {
	const keys = Array.from({ length: KEYS_PER_PASS }, (_, index) => `${keyPrefix}-${index}`);
	const fresh = await timedClaims(backend, 'new', batchesOf(keys, batchSize));
	for (let start = 0; start < keys.length; start += COMPLETE_BATCH) {
		const requests = keys.slice(start, start + COMPLETE_BATCH).map((key) => ({ key }));
		await backend.store.complete(NAMESPACE, requests, COMPLETE);
	}
	const duplicate = await timedClaims(backend, 'duplicate', batchesOf(keys, batchSize));
	return [fresh, duplicate];
}
