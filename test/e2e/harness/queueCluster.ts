import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';

import {
	startService,
	type PostgresConnection,
	type RedisConnection,
	type RunningService,
} from '../../lib/store/services';
import { importScript } from '../../support/importScript';
import { N8nInstance } from './n8n-instance';

/** A webhook processor or worker as scripts/queue-topology.mjs starts it. */
export interface QueueProcess {
	name: string;
	kind: 'webhook' | 'worker';
	/** The process's own HTTP server: N8N_PORT of a webhook processor, the health port of a worker. */
	baseUrl: string;
	process: ChildProcess;
	logFile: string;
	stop(): Promise<void>;
	/** Stops it and starts it again with the same folder, port and environment. */
	restart(): Promise<void>;
}

interface QueueTopologyScript {
	startQueueTopology(options: {
		database: PostgresConnection;
		queueRedis: RedisConnection;
		encryptionKey: string;
		folder: string;
		logDir: string;
		extraEnv?: Record<string, string>;
		startMain(env: Record<string, string>, port: number): Promise<{ stop(): Promise<void> }>;
	}): Promise<{
		webhookProcessors: QueueProcess[];
		workers: QueueProcess[];
		stop(): Promise<void>;
	}>;
	temporaryFolder(prefix: string): string;
}

/**
 * n8n in queue mode, as `npm run start:queue` runs it (scripts/queue-topology.mjs): PostgreSQL,
 * Redis for the queue, one main (here a harness instance with the owner logged in), webhook
 * processors and workers; plus a second Redis and the PostgreSQL server for the nodes' stores, so
 * that a test can take the store's Redis away without stopping the queue.
 */
export class QueueCluster {
	private constructor(
		/** Main: the REST API for workflows, credentials and executions. */
		readonly main: N8nInstance,
		readonly webhookProcessors: QueueProcess[],
		readonly workers: QueueProcess[],
		/** With the server's pid, to wait for it to exit when a test shuts it down. */
		readonly storeRedis: RedisConnection & { pid: number },
		readonly database: PostgresConnection,
		/** The queue's Redis (Bull, pub/sub, n8n's cache), for benchmarks that count its commands. */
		readonly queueRedis: RedisConnection,
		private readonly stopAll: () => Promise<void>,
	) {}

	/** `extraEnv` goes to every n8n process, on top of what scripts/queue-topology.mjs sets. */
	static async start({
		extraEnv = {},
	}: { extraEnv?: Record<string, string> } = {}): Promise<QueueCluster> {
		const { startQueueTopology, temporaryFolder } =
			await importScript<QueueTopologyScript>('queue-topology.mjs');
		const services: Array<RunningService<unknown>> = [];
		const folder = temporaryFolder('n8n-e2e-queue-');
		const stopServices = async () => {
			await Promise.all(services.map((service) => service.stop()));
			rmSync(folder, { recursive: true, force: true });
		};
		// Each one as it starts, so that a failure of another still stops it.
		const started = async <C>(service: Promise<RunningService<C>>) => {
			services.push(await service);
			return await service;
		};
		try {
			const [database, queueRedis, storeRedis] = await Promise.all([
				started(startService('postgres')),
				started(startService('redis')),
				started(startService('redis')),
			]);
			let main: N8nInstance | undefined;
			const topology = await startQueueTopology({
				database: database.connection,
				queueRedis: queueRedis.connection,
				encryptionKey: randomBytes(24).toString('hex'),
				folder,
				extraEnv,
				logDir: path.join(
					__dirname,
					'..',
					'..',
					'..',
					'test-artifacts',
					'e2e',
					`queue-${Date.now()}`,
				),
				startMain: async (env, port) => (main = await N8nInstance.start({ env, port })),
			});
			return new QueueCluster(
				main!,
				topology.webhookProcessors,
				topology.workers,
				storeRedis.connection as RedisConnection & { pid: number },
				database.connection,
				queueRedis.connection,
				async () => {
					await topology.stop();
					await stopServices();
				},
			);
		} catch (error) {
			await stopServices();
			throw error;
		}
	}

	/** The production URL of a webhook on each webhook processor. */
	webhookUrls(webhookPath: string): string[] {
		return this.webhookProcessors.map((processor) => `${processor.baseUrl}/webhook/${webhookPath}`);
	}

	async stop(): Promise<void> {
		await this.stopAll();
	}
}
