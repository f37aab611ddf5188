/**
 * The one way the scripts (and, through them, the tests) run a command and find a free port.
 * Node built-ins only: it runs under the machine's Node 20 as well as under the Node 24 n8n needs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const describe = (command, args) => [command, ...args].join(' ');

/** Runs a command to its end (output shown by default); rejects saying which command and how it ended. */
export function run(command, args, options = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { stdio: 'inherit', ...options });
		child.on('error', (error) => reject(new Error(`Cannot run ${command}: ${error.message}`)));
		child.on('exit', (code, signal) =>
			code === 0
				? resolve()
				: reject(new Error(`${describe(command, args)} failed (${signal ?? `exit ${code}`})`)),
		);
	});
}

/** Runs a command to its end and answers its output; throws with what it said when it fails. */
export function runSync(command, args, options = {}) {
	const result = spawnSync(command, args, { encoding: 'utf8', ...options });
	if (result.error) throw new Error(`Cannot run ${command}: ${result.error.message}`);
	if (result.status !== 0) {
		throw new Error(
			`${describe(command, args)} failed (exit ${result.status}): ${(result.stderr || result.stdout || '').trim()}`,
		);
	}
	return result.stdout;
}

/** `npm run build` of this package; exits the script when it fails, as nothing after it can work. */
export function buildPackage() {
	const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_DIR, stdio: 'inherit' });
	if (build.status !== 0) {
		console.error('npm run build failed: fix the errors above, then run this again.');
		process.exit(build.status || 1);
	}
}

/**
 * Binds `port` (0: any) on `host` (default: every interface, as n8n binds) and releases it
 * again; answers the port, rejects when it is taken.
 */
export async function probePort(port, host) {
	const server = net.createServer();
	server.listen(port, host);
	// `once` rejects on the server's 'error' event: a taken port.
	await once(server, 'listening');
	const bound = server.address().port;
	server.close();
	await once(server, 'close');
	return bound;
}

/** A TCP port nothing listens on right now. */
export const freePort = (host) => probePort(0, host);
