/**
 * Starts a real Redis or PostgreSQL server through scripts/services.mjs (run as a command, since
 * jest cannot import that ES module) and stops it when the test file is done.
 */
import { spawn } from 'node:child_process';
import { type Socket, createServer } from 'node:net';
import { resolve } from 'node:path';

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
export function closedPort(): Promise<number> {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
		});
	});
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
