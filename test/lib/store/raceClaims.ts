/**
 * Races many claimers for the same keys, inside this process (one store per connection) or across
 * child processes, and answers which keys each claimer won. A correct store gives every key to
 * exactly one claimer.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';

import type { IdempotencyStore } from '../../../lib/store/IdempotencyStore';
import type { StoreConfig } from '../../../lib/store/openStore';

const CHUNK = 20;
const LEASE = { leaseMs: 600_000 };
const KEEP_BOUNDS = { retentionMs: 600_000, maxEntries: 100_000 };
const repositoryRoot = resolve(__dirname, '../../..');

function shuffled<T>(items: readonly T[]): T[] {
	const copy = [...items];
	for (let index = copy.length - 1; index > 0; index--) {
		const other = Math.floor(Math.random() * (index + 1));
		[copy[index], copy[other]] = [copy[other], copy[index]];
	}
	return copy;
}

/**
 * Each store claims (or keeps) every key, in its own random order and in small batches, yielding
 * between them.
 */
export async function raceInProcess(
	stores: IdempotencyStore[],
	namespace: string,
	keys: string[],
	operation: RaceOperation = 'claim',
): Promise<string[][]> {
	return Promise.all(
		stores.map(async (store) => {
			const won: string[] = [];
			const order = shuffled(keys);
			for (let start = 0; start < order.length; start += CHUNK) {
				await new Promise((resume) => setImmediate(resume));
				won.push(
					...(await raceBatch(store, operation, namespace, order.slice(start, start + CHUNK))),
				);
			}
			return won;
		}),
	);
}

/**
 * Every store completes every (already claimed) key at once, in its own order: exactly one
 * completion per key may report `completed`, all others `alreadyCompleted`.
 */
export async function raceCompletions(
	stores: IdempotencyStore[],
	namespace: string,
	keys: string[],
): Promise<string[][]> {
	await stores[0].claim(
		namespace,
		keys.map((key) => ({ key })),
		LEASE,
	);
	return Promise.all(
		stores.map(async (store, storeIndex) => {
			const won: string[] = [];
			const order = shuffled(keys);
			for (let start = 0; start < order.length; start += CHUNK) {
				await new Promise((resume) => setImmediate(resume));
				const batch = order.slice(start, start + CHUNK).map((key) => ({ key, result: storeIndex }));
				for (const outcome of await store.complete(namespace, batch, { retentionMs: 600_000 })) {
					if (outcome.status === 'completed') won.push(outcome.key);
					else if (outcome.status !== 'alreadyCompleted')
						throw new Error(`unexpected ${outcome.status}`);
				}
			}
			return won;
		}),
	);
}

/** All won keys must cover `keys` exactly once. Answers a readable problem or undefined. */
export function findRaceProblem(winners: string[][], keys: string[]): string | undefined {
	const counts = new Map<string, number>();
	for (const won of winners) for (const key of won) counts.set(key, (counts.get(key) ?? 0) + 1);
	const doubled = [...counts].filter(([, count]) => count > 1).map(([key]) => key);
	const lost = keys.filter((key) => !counts.has(key));
	if (doubled.length === 0 && lost.length === 0) return undefined;
	return `${doubled.length} keys won more than once (e.g. ${doubled.slice(0, 3).join(', ')}), ${lost.length} never won (e.g. ${lost.slice(0, 3).join(', ')})`;
}

/** The store modules as CommonJS in a temporary folder, so plain `node` children can load them. */
function compileStoreModules(): string {
	const folder = mkdtempSync(join(tmpdir(), 'hybrid-sync-store-js-'));
	const sourceFolder = join(repositoryRoot, 'lib/store');
	for (const file of readdirSync(sourceFolder).filter((name) => name.endsWith('.ts'))) {
		const { outputText } = ts.transpileModule(readFileSync(join(sourceFolder, file), 'utf8'), {
			compilerOptions: {
				module: ts.ModuleKind.CommonJS,
				target: ts.ScriptTarget.ES2022,
				esModuleInterop: true,
			},
		});
		writeFileSync(join(folder, file.replace(/\.ts$/, '.js')), outputText);
	}
	return folder;
}

/** What a racer does with each batch: claim its keys, or keep them as the events of one delivery. */
export type RaceOperation = 'claim' | 'keep';

/** The keys this batch won: claims granted, or first receipts. */
async function raceBatch(
	store: IdempotencyStore,
	operation: RaceOperation,
	namespace: string,
	batch: string[],
): Promise<string[]> {
	if (operation === 'claim') {
		const outcomes = await store.claim(
			namespace,
			batch.map((key) => ({ key })),
			LEASE,
		);
		return outcomes.filter((outcome) => outcome.status === 'claimed').map(({ key }) => key);
	}
	const events = batch.map((eventId) => ({
		eventId,
		eventType: null,
		scheme: 'race',
		path: 'race',
		envelope: { id: eventId },
		headers: {},
	}));
	const outcomes = await store.inbox.keep(
		namespace,
		{ rawBody: Buffer.from(batch.join(',')), events, receivedAt: Date.now() },
		KEEP_BOUNDS,
	);
	return outcomes.filter((outcome) => outcome.firstReceipt).map(({ eventId }) => eventId);
}

/** The child's copy of `raceBatch`, in plain JavaScript (the children load no TypeScript). */
const CHILD_SCRIPT = `
const { openStore, closeAllStores } = require(process.env.STORE_MODULE);
const { config, namespace, keys, chunk, operation, lease, keepBounds } = JSON.parse(process.env.RACE);
async function raceBatch(store, batch) {
	if (operation === 'claim') {
		const outcomes = await store.claim(namespace, batch.map((key) => ({ key })), lease);
		return outcomes.filter((outcome) => outcome.status === 'claimed').map(({ key }) => key);
	}
	const events = batch.map((eventId) => ({
		eventId, eventType: null, scheme: 'race', path: 'race', envelope: { id: eventId }, headers: {},
	}));
	const request = { rawBody: Buffer.from(batch.join(',')), events, receivedAt: Date.now() };
	const outcomes = await store.inbox.keep(namespace, request, keepBounds);
	return outcomes.filter((outcome) => outcome.firstReceipt).map(({ eventId }) => eventId);
}
process.stdin.once('data', async (startAt) => {
	await new Promise((resume) => setTimeout(resume, Number(String(startAt)) - Date.now()));
	const order = [...keys];
	for (let index = order.length - 1; index > 0; index--) {
		const other = Math.floor(Math.random() * (index + 1));
		[order[index], order[other]] = [order[other], order[index]];
	}
	const won = [];
	try {
		const store = openStore(config);
		for (let start = 0; start < order.length; start += chunk) {
			// A pause between batches, as between executions: SQLite hands its lock to waiting
			// processes only when the holder lets go for a moment.
			await new Promise((resume) => setTimeout(resume, 1));
			won.push(...(await raceBatch(store, order.slice(start, start + chunk))));
		}
		process.stdout.write(JSON.stringify({ won }) + '\\n');
	} catch (error) {
		process.stdout.write(JSON.stringify({ error: String(error && error.stack || error) }) + '\\n');
	}
	await closeAllStores();
	process.exit(0);
});
openStore(config);
process.stdout.write('ready\\n');
`;

/**
 * Spawns `processes` Node children that each open the store from `config` and claim (or keep)
 * every key. They start at the same moment, once all of them have opened the store.
 */
export async function raceInProcesses(
	config: StoreConfig,
	namespace: string,
	keys: string[],
	processes: number,
	operation: RaceOperation = 'claim',
): Promise<string[][]> {
	const folder = compileStoreModules();
	const script = join(folder, 'race-child.js');
	writeFileSync(script, CHILD_SCRIPT);
	try {
		const children = Array.from({ length: processes }, () => {
			const child = spawn(process.execPath, [script], {
				env: {
					...process.env,
					NODE_PATH: join(repositoryRoot, 'node_modules'),
					STORE_MODULE: join(folder, 'openStore.js'),
					RACE: JSON.stringify({
						config,
						namespace,
						keys,
						chunk: CHUNK,
						operation,
						lease: LEASE,
						keepBounds: KEEP_BOUNDS,
					}),
				},
				stdio: ['pipe', 'pipe', 'pipe'],
			});
			let stdout = '';
			let stderr = '';
			child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
			child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
			const ready = new Promise<void>((resolveReady, rejectReady) => {
				child.stdout.on('data', () => stdout.startsWith('ready\n') && resolveReady());
				child.once('exit', (code) =>
					rejectReady(new Error(`race child exited early (${code}): ${stderr}`)),
				);
			});
			const finished = new Promise<string[]>((resolveFinished, rejectFinished) => {
				child.once('exit', (code) => {
					const last = stdout.trim().split('\n').pop() ?? '';
					try {
						const answer = JSON.parse(last) as { won?: string[]; error?: string };
						if (answer.won) return resolveFinished(answer.won);
						rejectFinished(new Error(`race child failed: ${answer.error}`));
					} catch {
						rejectFinished(new Error(`race child exited with ${code}: ${stderr || stdout}`));
					}
				});
			});
			return { child, ready, finished };
		});
		await Promise.all(children.map(({ ready }) => ready));
		// One shared start time, so no child is done before the last one has heard "go".
		const startAt = Date.now() + 250;
		for (const { child } of children) child.stdin.write(`${startAt}\n`);
		return await Promise.all(children.map(({ finished }) => finished));
	} finally {
		rmSync(folder, { recursive: true, force: true });
	}
}

export interface RaceTarget {
	/** A new store (its own connection) on the shared target. */
	open: () => IdempotencyStore;
	/** The same target for `openStore` in a child process. */
	config: StoreConfig;
}

/**
 * The concurrency tests every backend passes: racing claimers inside this process, racing
 * completers, and racing processes. `target` is called once per test.
 */
export function describeStoreRaces(target: () => RaceTarget): void {
	describe('concurrency', () => {
		const keys = Array.from({ length: 1000 }, (_, index) => `payment-${index}`);
		let stores: IdempotencyStore[] = [];
		afterEach(async () => {
			await Promise.all(stores.map(async (store) => store.close()));
			stores = [];
		});

		it('gives each key to exactly one of 50 claimers with their own connections', async () => {
			const { open } = target();
			stores = Array.from({ length: 50 }, open);
			const winners = await raceInProcess(stores, `race-${randomUUID()}`, keys);
			expect(findRaceProblem(winners, keys)).toBeUndefined();
			expect(winners.filter((won) => won.length > 0).length).toBeGreaterThan(1);
		}, 60_000);

		it('reports exactly one completion per key among 20 concurrent completers', async () => {
			const { open } = target();
			stores = Array.from({ length: 20 }, open);
			const winners = await raceCompletions(stores, `complete-${randomUUID()}`, keys);
			expect(findRaceProblem(winners, keys)).toBeUndefined();
		}, 60_000);

		it('gives each key to exactly one of 6 processes', async () => {
			const winners = await raceInProcesses(target().config, `processes-${randomUUID()}`, keys, 6);
			expect(findRaceProblem(winners, keys)).toBeUndefined();
			expect(winners.filter((won) => won.length > 0).length).toBeGreaterThan(1);
		}, 60_000);

		it('gives each event its first receipt in exactly one of 20 keepers with their own connections', async () => {
			const { open } = target();
			stores = Array.from({ length: 20 }, open);
			const winners = await raceInProcess(stores, `keep-${randomUUID()}`, keys, 'keep');
			expect(findRaceProblem(winners, keys)).toBeUndefined();
			expect(winners.filter((won) => won.length > 0).length).toBeGreaterThan(1);
			// PostgreSQL's keeps of one namespace take turns on its count row: this race took 29 s
			// on an idle machine, and over 60 s while the other test files ran beside it.
		}, 240_000);

		it('gives each event its first receipt in exactly one of 6 processes keeping it', async () => {
			const winners = await raceInProcesses(
				target().config,
				`keep-processes-${randomUUID()}`,
				keys,
				6,
				'keep',
			);
			expect(findRaceProblem(winners, keys)).toBeUndefined();
			expect(winners.filter((won) => won.length > 0).length).toBeGreaterThan(1);
		}, 60_000);
	});
}
