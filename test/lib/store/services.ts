/**
 * Starts a real Redis or PostgreSQL server through scripts/services.mjs (run as a command, since
 * jest cannot import that ES module) and stops it when the test file is done.
 */
import { spawn } from 'node:child_process';
import { type Socket, createServer } from 'node:net';
import { resolve } from 'node:path';

import type { IdempotencyStore } from '../../../lib/store/IdempotencyStore';
import { importScript, type Processes } from '../../support/importScript';

export interface RedisConnection {
	host: string;
	port: number;
	password: string;
}

export interface PostgresConnection {
	host: string;
	port: number;
	user: string;
	password: string;
	database: string;
}

export interface RunningService<C> {
	connection: C;
	stop: () => Promise<void>;
}

/** Installing a missing server with apt-get can take minutes the first time. */
export const SERVICE_START_TIMEOUT_MS = 10 * 60_000;

export function startService(kind: 'redis'): Promise<RunningService<RedisConnection>>;
export function startService(kind: 'postgres'): Promise<RunningService<PostgresConnection>>;
export async function startService(kind: 'redis' | 'postgres'): Promise<RunningService<unknown>> {
	const script = resolve(__dirname, '../../../scripts/services.mjs');
	const child = spawn(process.execPath, [script, kind], { stdio: ['pipe', 'pipe', 'pipe'] });
	let stdout = '';
	let stderr = '';
	child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
	const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
	const connection = await new Promise<unknown>((resolveStart, rejectStart) => {
		child.stdout.on('data', (data: Buffer) => {
			stdout += data.toString();
			const line = stdout.split('\n')[0];
			if (stdout.includes('\n')) resolveStart(JSON.parse(line));
		});
		child.once('exit', (code) =>
			rejectStart(
				new Error(`Could not start ${kind} for the tests (exit ${code}): ${stderr.trim()}`),
			),
		);
	});
	return {
		connection,
		stop: async () => {
			child.stdin.end();
			await exited;
		},
	};
}

/** A loopback port nothing listens on, for unreachable-server tests. */
export async function closedPort(): Promise<number> {
	const { freePort } = await importScript<Processes>('processes.mjs');
	return await freePort('127.0.0.1');
}

/** Runs `work` against a loopback server that accepts connections and never answers. */
export async function withSilentServer<T>(work: (port: number) => Promise<T>): Promise<T> {
	const sockets: Socket[] = [];
	const server = createServer((socket) => sockets.push(socket));
	await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
	try {
		return await work((server.address() as { port: number }).port);
	} finally {
		sockets.forEach((socket) => socket.destroy());
		server.close();
	}
}

const WRONG_PASSWORD = 'not-the-real-password-0123';

async function failure(store: IdempotencyStore): Promise<{ error: Error; elapsedMs: number }> {
	const started = Date.now();
	const error = await store
		.claim('ns', [{ key: 'k' }], { leaseMs: 1000 })
		.then(() => new Error('the operation succeeded'))
		.catch((caught: Error) => caught);
	await store.close().catch(() => undefined);
	return { error, elapsedMs: Date.now() - started };
}

/**
 * How a server backend must fail: fast, with a StoreError naming host and port and what went
 * wrong, and never with the password in it. `open` connects to 127.0.0.1 with these settings.
 */
export function describeUnreachableServer(
	serverName: string,
	open: (settings: { port?: number; password: string }) => IdempotencyStore,
): void {
	describe('unreachable server', () => {
		const reached = (port: number, cause: string) =>
			new RegExp(`^Cannot reach ${serverName} at 127\\.0\\.0\\.1:${port}: .*${cause}`);

		it('fails at once on a closed port, naming host and port but never the password', async () => {
			const port = await closedPort();
			const { error, elapsedMs } = await failure(open({ port, password: WRONG_PASSWORD }));
			expect(elapsedMs).toBeLessThan(3_000);
			expect(error).toMatchObject({ name: 'StoreError', reason: 'unreachable' });
			expect(error.message).toMatch(reached(port, 'ECONNREFUSED'));
			expect(`${error.message} ${String(error)} ${JSON.stringify(error)}`).not.toContain(
				WRONG_PASSWORD,
			);
		});

		it('gives up within a few seconds on a server that accepts but never answers', async () => {
			await withSilentServer(async (port) => {
				const { error, elapsedMs } = await failure(open({ port, password: WRONG_PASSWORD }));
				expect(elapsedMs).toBeLessThan(5_000);
				expect(error).toMatchObject({ reason: 'unreachable' });
				expect(error.message).toMatch(reached(port, '(no answer|timeout)'));
				expect(error.message).not.toContain(WRONG_PASSWORD);
			});
		}, 10_000);

		it('reports refused credentials as a configuration problem without echoing them', async () => {
			const { error } = await failure(open({ password: WRONG_PASSWORD }));
			expect(error).toMatchObject({
				reason: 'invalidConfig',
				message: expect.stringContaining(`${serverName} at 127.0.0.1:`),
			});
			expect(error.message).toContain('refused the username or password');
			expect(error.message).not.toContain(WRONG_PASSWORD);
		});
	});
}
