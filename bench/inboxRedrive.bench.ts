import { randomUUID } from 'node:crypto';

import { recoverStuck } from '../lib/inbox/recoverStuck';
import { redrive } from '../lib/inbox/redrive';
import type { IdempotencyStore } from '../lib/store/IdempotencyStore';
import { openBackends } from './idempotency/backends';
import { writeSuiteResult } from './support/results';
import { median, round } from './support/stats';

/**
 * The Webhook Inbox's bulk operations on each backend, through the inbox core the node runs:
 *   - Redrive of a 10,000-delivery window none of whose events completed (each is claimed and
 *     handed back), the "10,000-delivery redrive";
 *   - the Recover Stuck sweep over the same 10,000 deliveries once they are all completed: what
 *     every scheduled sweep costs in the steady state (examine everything, recover nothing).
 * Wall time and this process's CPU time (the server's own time is not in it for Redis and
 * PostgreSQL). Each run seeds a fresh namespace first, timed apart.
 */

const DELIVERIES = 10_000;
const RUNS = 3;
const CLAIM = { leaseMs: 5 * 60_000, maxAttempts: 3, deadLetterRetentionMs: 30 * 86_400_000 };
const BOUNDS = { retentionMs: 7 * 86_400_000, maxEntries: 100_000 };
const SEED_BATCH = 100;

interface Run {
	backend: string;
	seedMs: number;
	redriveMs: number;
	redriveCpuMs: number;
	redriven: number;
	sweepMs: number;
	sweepCpuMs: number;
	examined: number;
}

/** Keeps DELIVERIES one-event deliveries a minute apart in time order, as a trigger would. */
async function seed(store: IdempotencyStore, namespace: string, start: number): Promise<void> {
	for (let first = 0; first < DELIVERIES; first += SEED_BATCH) {
		await Promise.all(
			Array.from({ length: Math.min(SEED_BATCH, DELIVERIES - first) }, async (_, offset) => {
				const index = first + offset;
				const eventId = `evt_${String(index).padStart(6, '0')}`;
				const envelope = { id: eventId, type: 'invoice.paid', data: { amount: index } };
				await store.inbox.keep(
					namespace,
					{
						rawBody: Buffer.from(JSON.stringify(envelope)),
						receivedAt: start + index,
						events: [
							{
								eventId,
								eventType: 'invoice.paid',
								scheme: 'stripe',
								path: 'bench',
								envelope,
								headers: { 'content-type': 'application/json' },
							},
						],
					},
					BOUNDS,
				);
			}),
		);
	}
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
	const cpu = process.cpuUsage();
	const started = performance.now();
	const value = await work();
	const ms = performance.now() - started;
	const { user, system } = process.cpuUsage(cpu);
	return { value, ms, cpuMs: (user + system) / 1000 };
}

async function measure(name: string, store: IdempotencyStore): Promise<Run> {
	const namespace = `webhook:bench-${randomUUID()}`;
	const start = Date.now() - 2 * 3_600_000;
	const seeded = await timed(async () => await seed(store, namespace, start));
	const window = { from: start, to: start + DELIVERIES, states: [] };
	const redriven = await timed(
		async () =>
			await redrive(store, namespace, window, {
				limit: DELIVERIES,
				claim: CLAIM,
				now: () => Date.now(),
			}),
	);
	const keys = redriven.value.redriven.map((claim) => ({
		key: claim.entry.eventId,
		token: claim.record.token,
	}));
	for (let first = 0; first < keys.length; first += 1000) {
		await store.complete(namespace, keys.slice(first, first + 1000), { retentionMs: 86_400_000 });
	}
	const swept = await timed(
		async () =>
			await recoverStuck(store, namespace, {
				window: { graceMs: 0, lookBackMs: 3 * 3_600_000 },
				limit: DELIVERIES,
				claim: CLAIM,
				now: () => Date.now(),
			}),
	);
	if (swept.value.recovered.length !== 0) throw new Error('The sweep recovered completed events');
	return {
		backend: name,
		seedMs: seeded.ms,
		redriveMs: redriven.ms,
		redriveCpuMs: redriven.cpuMs,
		redriven: redriven.value.redriven.length,
		sweepMs: swept.ms,
		sweepCpuMs: swept.cpuMs,
		examined: swept.value.summary.examined,
	};
}

async function main(): Promise<void> {
	const backends = await openBackends();
	const runs: Run[] = [];
	try {
		for (const { name, store } of backends.all) {
			for (let run = 0; run < RUNS; run++) {
				const result = await measure(name, store);
				console.log(JSON.stringify(result));
				runs.push(result);
			}
		}
	} finally {
		await backends.close();
	}
	const table = backends.all.map(({ name }) => {
		const mine = runs.filter((run) => run.backend === name);
		const med = (field: keyof Omit<Run, 'backend'>) =>
			round(median(mine.map((run) => run[field])), 0);
		return {
			backend: name,
			deliveries: DELIVERIES,
			'redrive ms (median)': med('redriveMs'),
			'redrive CPU ms': med('redriveCpuMs'),
			redriven: med('redriven'),
			'steady sweep ms (median)': med('sweepMs'),
			'sweep CPU ms': med('sweepCpuMs'),
			'seed ms': med('seedMs'),
		};
	});
	writeSuiteResult({ suite: 'inboxRedrive', table, details: { runs } });
}

void main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
