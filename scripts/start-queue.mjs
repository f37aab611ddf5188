/**
 * `npm run start:queue`: the package in n8n's queue mode on this machine, with the pinned n8n that
 * `npm start` runs. PostgreSQL (n8n's database) and Redis (the queue, and a store for the nodes)
 * are private servers on free ports; then one main process, two webhook processors and two
 * workers (scripts/queue-topology.mjs), each with the package installed in its own user folder,
 * and the templates imported. A throwaway cluster: everything is deleted when it stops (Ctrl-C).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { REPO_DIR, ensureN8nRuntime, importWorkflows } from './n8n-runtime.mjs';
import { buildPackage } from './processes.mjs';
import { sharedQueueEnv, startQueueTopology, temporaryFolder } from './queue-topology.mjs';
import { startPostgres, startRedis } from './services.mjs';

const TEMPLATES_DIR = path.join(REPO_DIR, 'templates');
const LOG_DIR = path.join(REPO_DIR, 'test-artifacts', 'queue');

const stack = [];
let stopping;
const stopEverything = (code) =>
	(stopping ??= (async () => {
		console.log('\nStopping the queue-mode cluster...');
		for (const step of stack.reverse()) await step().catch((error) => console.error(error.message));
		process.exit(code);
	})());
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopEverything(0));

try {
	await ensureN8nRuntime();
	buildPackage();
	const folder = temporaryFolder('hybrid-sync-queue-');
	stack.push(async () => fs.rmSync(folder, { recursive: true, force: true }));
	fs.mkdirSync(LOG_DIR, { recursive: true });

	const [database, redis] = await Promise.all([startPostgres(), startRedis()]);
	stack.push(database.stop, redis.stop);
	const encryptionKey = randomBytes(24).toString('hex');

	// Before main starts, as `npm start` does: the import migrates the fresh database.
	console.log('Importing the templates...');
	await importWorkflows({
		userFolder: path.join(folder, 'import'),
		input: TEMPLATES_DIR,
		env: sharedQueueEnv({
			database,
			queueRedis: redis,
			encryptionKey,
			webhookUrl: 'http://localhost/',
		}),
	});

	console.log(
		`Starting main, webhook processors and workers (logs in ${path.relative(REPO_DIR, LOG_DIR)}/)...`,
	);
	const topology = await startQueueTopology({
		database,
		queueRedis: redis,
		encryptionKey,
		folder,
		logDir: LOG_DIR,
	});
	stack.push(topology.stop);
	for (const member of [topology.main, ...topology.webhookProcessors, ...topology.workers]) {
		member.process.on('exit', (code, signal) => {
			if (stopping) return;
			console.error(`${member.name} exited (${signal ?? `exit ${code}`}); see ${member.logFile}`);
			stopEverything(1);
		});
	}

	// The nodes' store credentials need the passwords: a file only this user can read, not the console.
	const connectionsFile = path.join(folder, 'store-connections.json');
	fs.writeFileSync(connectionsFile, JSON.stringify({ redis, postgres: database }, null, 2), {
		mode: 0o600,
	});

	console.log(`
n8n queue mode with n8n-nodes-hybrid-sync is running.
  editor and REST API (main): ${topology.main.baseUrl}
  webhook processors:         ${topology.webhookProcessors.map((p) => `${p.baseUrl}/webhook/...`).join('  ')}
  worker health checks:       ${topology.workers.map((p) => `${p.baseUrl}/healthz`).join('  ')}
  Redis and PostgreSQL for the nodes' store credentials: ${connectionsFile}
Everything (the database too) is deleted when this stops: Ctrl-C.`);
} catch (error) {
	console.error(error.message);
	await stopEverything(1);
}
