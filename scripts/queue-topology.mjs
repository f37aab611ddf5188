/**
 * n8n's queue mode on one machine: one main process (editor, REST API, triggers and pollers), two
 * `n8n webhook` processes that take the production webhooks, and two `n8n worker` processes that
 * run the executions, all on one PostgreSQL database and one Redis (Bull queue, pub/sub, cache).
 *
 * The one definition of that topology and of the environment each kind of process gets:
 * `npm run start:queue` and the end-to-end tests start it from here, and a unit test holds
 * docs/queue-mode/docker-compose.yml to the same environment. Environment names as n8n 2.41.1
 * reads them (@n8n/config: scaling-mode, database, endpoints; n8n/dist/commands/webhook.js and
 * worker.js).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { getFreePort, startN8n } from './n8n-runtime.mjs';

export const WEBHOOK_PROCESSORS = 2;
export const WORKERS = 2;

/** Every process of the topology, in start order: main first, as it migrates the database. */
export const QUEUE_PROCESSES = [
	{ name: 'main', kind: 'main' },
	...Array.from({ length: WEBHOOK_PROCESSORS }, (_, i) => ({
		name: `webhook-${i + 1}`,
		kind: 'webhook',
	})),
	...Array.from({ length: WORKERS }, (_, i) => ({ name: `worker-${i + 1}`, kind: 'worker' })),
];

/** The n8n command each kind runs. */
export const COMMAND_OF_KIND = { main: 'start', webhook: 'webhook', worker: 'worker' };

/**
 * What every process must agree on: the queue (Bull on Redis), the database, and one encryption
 * key, since workers decrypt the credentials main stored (they refuse to start without a key).
 * `webhookUrl` is what senders call: the load balancer in front of the webhook processors; n8n
 * shows it as the production URL and signature schemes that sign the URL check against it.
 */
export function sharedQueueEnv({ database, queueRedis, encryptionKey, webhookUrl }) {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: queueRedis.host,
		QUEUE_BULL_REDIS_PORT: String(queueRedis.port),
		...(queueRedis.password ? { QUEUE_BULL_REDIS_PASSWORD: queueRedis.password } : {}),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: database.host,
		DB_POSTGRESDB_PORT: String(database.port),
		DB_POSTGRESDB_DATABASE: database.database,
		DB_POSTGRESDB_USER: database.user,
		DB_POSTGRESDB_PASSWORD: database.password,
		N8N_ENCRYPTION_KEY: encryptionKey,
		N8N_WEBHOOK_URL: webhookUrl,
	};
}

/**
 * What one process adds to the shared environment. Main stops serving production webhooks (the
 * webhook processors take them all); a worker serves its health check on its own port. `port` is
 * the process's HTTP port: N8N_PORT for main and webhook processors, the health port of a worker.
 */
export function processEnv(kind, port) {
	switch (kind) {
		case 'main':
			return { N8N_PORT: String(port), N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true' };
		case 'webhook':
			return { N8N_PORT: String(port) };
		case 'worker':
			return { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(port) };
		default:
			throw new Error(`Unknown queue-mode process kind "${kind}": main, webhook or worker`);
	}
}

/**
 * Starts one process of the topology with the package installed in its own user folder (every
 * n8n process loads community packages from `<N8N_USER_FOLDER>/.n8n/nodes`). Answers the running
 * process with `restart()` (same folder, port and environment) and `stop()`.
 */
export async function startQueueProcess({ name, kind, port, env, folder, logDir }) {
	const startArgs = {
		userFolder: path.join(folder, name),
		port,
		command: COMMAND_OF_KIND[kind],
		env: { ...env, ...processEnv(kind, port) },
		logFile: path.join(logDir, `${name}.log`),
	};
	fs.mkdirSync(startArgs.userFolder, { recursive: true });
	let running = await startN8n(startArgs);
	return {
		name,
		kind,
		logFile: startArgs.logFile,
		get baseUrl() {
			return running.baseUrl;
		},
		get process() {
			return running.process;
		},
		async stop() {
			await running.stop();
		},
		async restart() {
			await running.stop();
			running = await startN8n(startArgs);
		},
	};
}

/**
 * Starts main, then the webhook processors and workers side by side, on free ports, with their
 * folders under `folder` and one log file each in `logDir`; `extraEnv` goes to every process.
 * `startMain(env, port)` may replace how main is started (the tests start it as an owner-logged-in
 * harness instance); it answers an object with `stop()`. Answers every process and `stop()`,
 * which stops the webhook processors first (no new work), then main, then the workers (their
 * running executions finish).
 */
export async function startQueueTopology({
	database,
	queueRedis,
	encryptionKey,
	folder,
	logDir,
	startMain,
	extraEnv = {},
}) {
	const ports = new Map();
	for (const { name } of QUEUE_PROCESSES) ports.set(name, await getFreePort());
	const webhookProcessors = QUEUE_PROCESSES.filter((p) => p.kind === 'webhook');
	const webhookUrl = `http://localhost:${ports.get(webhookProcessors[0].name)}/`;
	const env = {
		...sharedQueueEnv({ database, queueRedis, encryptionKey, webhookUrl }),
		...extraEnv,
	};

	const started = [];
	const stopAll = async () => {
		const order = ['webhook', 'main', 'worker'];
		for (const kind of order) {
			await Promise.all(started.filter((p) => p.kind === kind).map((p) => p.stop()));
		}
	};
	try {
		const mainPort = ports.get('main');
		const main = startMain
			? await startCustomMain(startMain, { ...env, ...processEnv('main', mainPort) }, mainPort)
			: await startQueueProcess({
					name: 'main',
					kind: 'main',
					port: mainPort,
					env,
					folder,
					logDir,
				});
		started.push(main);
		const others = await Promise.allSettled(
			QUEUE_PROCESSES.filter((p) => p.kind !== 'main').map((p) =>
				startQueueProcess({ ...p, port: ports.get(p.name), env, folder, logDir }),
			),
		);
		for (const result of others) if (result.status === 'fulfilled') started.push(result.value);
		const failed = others.find((result) => result.status === 'rejected');
		if (failed) throw failed.reason;
		return {
			env,
			main,
			webhookProcessors: started.filter((p) => p.kind === 'webhook'),
			workers: started.filter((p) => p.kind === 'worker'),
			stop: stopAll,
		};
	} catch (error) {
		await stopAll();
		throw error;
	}
}

async function startCustomMain(startMain, env, port) {
	const started = await startMain(env, port);
	return { name: 'main', kind: 'main', stop: () => started.stop() };
}

/** A fresh folder for the processes' user folders. */
export const temporaryFolder = (prefix) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
