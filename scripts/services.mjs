/**
 * Real Redis and PostgreSQL servers for tests: private instances on free loopback ports, data in
 * a temporary folder, removed on stop. Missing binaries are installed with apt-get (needs root).
 * Nothing is skipped: when a server cannot be started, the error says exactly what is missing.
 *
 * As a module: `await startRedis()` / `await startPostgres()` answer the connection and `stop()`.
 * As a command (for test runners that cannot import ES modules):
 *   node scripts/services.mjs redis|postgres
 * prints the connection as one JSON line on stdout and stops the server when stdin closes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	accessSync,
	chownSync,
	constants,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort, runSync } from './processes.mjs';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;
const APT_LOCK = join(tmpdir(), 'hybrid-sync-services-apt.lock');

const log = (message) => process.stderr.write(`[services] ${message}\n`);

function findOnPath(command) {
	for (const folder of (process.env.PATH ?? '').split(delimiter)) {
		const candidate = join(folder, command);
		try {
			accessSync(candidate, constants.X_OK);
			return candidate;
		} catch {
			// not in this folder
		}
	}
	return undefined;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Serialises apt-get between test workers that start services at the same time. */
async function withAptLock(work) {
	const deadline = Date.now() + 15 * 60_000;
	for (;;) {
		try {
			mkdirSync(APT_LOCK);
			break;
		} catch (error) {
			if (error.code !== 'EEXIST') throw error;
			const age = Date.now() - statSync(APT_LOCK, { throwIfNoEntry: false })?.mtimeMs;
			if (age > 15 * 60_000) rmSync(APT_LOCK, { recursive: true, force: true });
			if (Date.now() > deadline)
				throw new Error(`Waited too long for another apt-get (lock ${APT_LOCK})`);
			await sleep(500);
		}
	}
	try {
		return await work();
	} finally {
		rmSync(APT_LOCK, { recursive: true, force: true });
	}
}

/** Answers `find()` once it finds the binary, installing `packages` with apt-get when it does not. */
async function ensureInstalled(what, packages, find) {
	const found = find();
	if (found) return found;
	const manual = `apt-get update && apt-get install -y ${packages.join(' ')}`;
	if (process.getuid?.() !== 0)
		throw new Error(`${what} is missing and installing it needs root: run \`${manual}\``);
	if (!findOnPath('apt-get'))
		throw new Error(
			`${what} is missing and this system has no apt-get to install it (${packages.join(', ')})`,
		);
	return withAptLock(async () => {
		const installedMeanwhile = find();
		if (installedMeanwhile) return installedMeanwhile;
		log(`${what} is missing: installing ${packages.join(', ')} with apt-get`);
		const apt = (args) =>
			runSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
				env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
				stdio: ['ignore', 'pipe', 'pipe'],
			});
		apt(['update']);
		apt(['install', '-y', '--no-install-recommends', ...packages]);
		const installed = find();
		if (!installed)
			throw new Error(`apt-get installed ${packages.join(', ')} but ${what} is still not found`);
		log(`installed ${packages.join(', ')}`);
		return installed;
	});
}

/** Runs `process` until `ready(output)` is true; rejects with its output when it exits first. */
function waitForOutput(child, ready, what) {
	return new Promise((resolve, reject) => {
		let output = '';
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(
				new Error(`${what} did not start within ${START_TIMEOUT_MS / 1000} s: ${output.trim()}`),
			);
		}, START_TIMEOUT_MS);
		const onData = (data) => {
			output += data.toString();
			if (ready(output)) {
				clearTimeout(timer);
				resolve();
			}
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		child.once('exit', (code, signal) => {
			clearTimeout(timer);
			reject(new Error(`${what} exited (${signal ?? code}) before it was ready: ${output.trim()}`));
		});
	});
}

/** Another process may take the free port before the server binds it: then try another one. */
async function onFreePort(start) {
	for (let attempt = 1; ; attempt++) {
		try {
			return await start(await freePort(HOST));
		} catch (error) {
			if (attempt === 3 || !/address already in use|could not bind/i.test(error.message))
				throw error;
		}
	}
}

export async function startRedis() {
	const redisServer = await ensureInstalled('redis-server', ['redis-server'], () =>
		findOnPath('redis-server'),
	);
	return onFreePort((port) => startRedisOn(redisServer, port));
}

async function startRedisOn(redisServer, port) {
	const folder = mkdtempSync(join(tmpdir(), 'hybrid-sync-redis-'));
	const password = randomBytes(12).toString('hex');
	const child = spawn(
		redisServer,
		[
			'--port',
			String(port),
			'--bind',
			HOST,
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
			'--dir',
			folder,
			'--requirepass',
			password,
		],
		{ stdio: ['ignore', 'pipe', 'pipe'] },
	);
	const stopNow = () => child.kill('SIGKILL');
	process.once('exit', stopNow);
	try {
		await waitForOutput(
			child,
			(output) => output.includes('Ready to accept connections'),
			`redis-server on port ${port}`,
		);
	} catch (error) {
		process.removeListener('exit', stopNow);
		rmSync(folder, { recursive: true, force: true });
		throw error;
	}
	return {
		host: HOST,
		port,
		password,
		// Lets a test that shuts the server down wait until it has exited.
		pid: child.pid,
		async stop() {
			process.removeListener('exit', stopNow);
			if (child.exitCode === null && child.signalCode === null) {
				const exited = new Promise((resolve) => child.once('exit', resolve));
				child.kill('SIGTERM');
				await exited;
			}
			rmSync(folder, { recursive: true, force: true });
		},
	};
}

function findPostgresBin() {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const versions = readdirSync(root)
		.filter(
			(version) =>
				existsSync(join(root, version, 'bin', 'initdb')) &&
				existsSync(join(root, version, 'bin', 'pg_ctl')),
		)
		.sort((a, b) => Number(b) - Number(a));
	return versions.length > 0 ? join(root, versions[0], 'bin') : undefined;
}

/**
 * PostgreSQL refuses to run as root: as root, its commands run as the `postgres` system user
 * (created when missing), which then owns `folder`. Answers how to run a command that way.
 */
function asPostgresUser(folder) {
	if (process.getuid?.() !== 0) return (command, args) => [command, args];
	const runuser = findOnPath('runuser');
	if (!runuser)
		throw new Error(
			'PostgreSQL cannot run as root, and runuser (util-linux) is missing to run it as the postgres user',
		);
	if (spawnSync('id', ['-u', 'postgres']).status !== 0) {
		log('creating the postgres system user (PostgreSQL refuses to run as root)');
		runSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
	}
	chownSync(folder, Number(runSync('id', ['-u', 'postgres'])), Number(runSync('id', ['-g', 'postgres'])));
	return (command, args) => [runuser, ['-u', 'postgres', '--', command, ...args]];
}

export async function startPostgres() {
	const bin = await ensureInstalled('PostgreSQL (initdb, pg_ctl)', ['postgresql'], findPostgresBin);
	return onFreePort((port) => startPostgresOn(bin, port));
}

async function startPostgresOn(bin, port) {
	const folder = mkdtempSync(join(tmpdir(), 'hybrid-sync-postgres-'));
	const data = join(folder, 'data');
	const password = randomBytes(12).toString('hex');
	const serverLog = join(folder, 'server.log');
	try {
		const asPostgres = asPostgresUser(folder);
		const passwordFile = join(folder, 'password');
		writeFileSync(passwordFile, `${password}\n`, { mode: 0o644 });
		runSync(
			...asPostgres(join(bin, 'initdb'), [
				'-D',
				data,
				'-U',
				'postgres',
				'-A',
				'scram-sha-256',
				`--pwfile=${passwordFile}`,
				'-E',
				'UTF8',
				'--no-locale',
				'--no-sync',
			]),
			{ cwd: folder },
		);
		rmSync(passwordFile);
		const serverOptions = `-p ${port} -k ${folder} -c listen_addresses=${HOST} -c fsync=off -c max_connections=300`;
		runSync(
			...asPostgres(join(bin, 'pg_ctl'), [
				'-D',
				data,
				'-l',
				serverLog,
				'-w',
				'-t',
				String(START_TIMEOUT_MS / 1000),
				'-o',
				serverOptions,
				'start',
			]),
			{ cwd: folder },
		);
		const stopNow = () =>
			spawnSync(...asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']), {
				cwd: folder,
			});
		process.once('exit', stopNow);
		return {
			host: HOST,
			port,
			user: 'postgres',
			password,
			database: 'postgres',
			async stop() {
				process.removeListener('exit', stopNow);
				stopNow();
				rmSync(folder, { recursive: true, force: true });
			},
		};
	} catch (error) {
		// pg_ctl only says "see the log": keep what the server said before the folder goes.
		const said = existsSync(serverLog) ? readFileSync(serverLog, 'utf8').trim() : '';
		rmSync(folder, { recursive: true, force: true });
		if (said) error.message += `\nPostgreSQL log:\n${said}`;
		throw error;
	}
}

async function main(kind) {
	const start = { redis: startRedis, postgres: startPostgres }[kind];
	if (!start)
		throw new Error(`Usage: node scripts/services.mjs redis|postgres (got ${kind ?? 'nothing'})`);
	const service = await start();
	const { stop, ...connection } = service;
	let stopping;
	const shutdown = () => (stopping ??= stop().finally(() => process.exit(0)));
	process.stdin.on('end', shutdown);
	process.stdin.on('close', shutdown);
	process.stdin.resume();
	process.once('SIGTERM', shutdown);
	process.once('SIGINT', shutdown);
	process.stdout.write(`${JSON.stringify(connection)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	main(process.argv[2]).catch((error) => {
		process.stderr.write(`${error.message}\n`);
		process.exit(1);
	});
}
