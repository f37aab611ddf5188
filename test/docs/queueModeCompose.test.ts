import { readFileSync } from 'node:fs';
import path from 'node:path';

import { parse } from 'yaml';

import { importScript } from '../support/importScript';

/**
 * docs/queue-mode/docker-compose.yml is documentation (Docker does not run here), so this holds it
 * to what `npm run start:queue` runs: the same processes, and for each the environment that
 * scripts/queue-topology.mjs gives its kind, with the compose file's own hosts and secrets.
 */

type Env = Record<string, string>;
type Kind = 'main' | 'webhook' | 'worker';
interface Connection {
	host: string;
	port: number;
	password: string;
	database: string;
	user: string;
}

interface QueueTopologyScript {
	QUEUE_PROCESSES: Array<{ name: string; kind: Kind }>;
	COMMAND_OF_KIND: Record<Kind, string>;
	sharedQueueEnv(options: {
		database: Connection;
		queueRedis: Omit<Connection, 'database' | 'user'>;
		encryptionKey: string;
		webhookUrl: string;
	}): Env;
	processEnv(kind: Kind, port: number): Env;
}

interface Service {
	command?: string | string[];
	environment?: Env;
}

/** Compose-only settings: the balancer in front of main and the webhook processors. */
const COMPOSE_ONLY = { N8N_PROXY_HOPS: '1' };
/** The ports inside each container: n8n's default, and a worker's health port. */
const PORT_OF_KIND: Record<Kind, number> = { main: 5678, webhook: 5678, worker: 5680 };

const composeFile = path.join(__dirname, '..', '..', 'docs', 'queue-mode', 'docker-compose.yml');
const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as {
	services: Record<string, Service>;
};

function n8nServices(
	commandOfKind: Record<Kind, string>,
): Array<{ name: string; kind: Kind; env: Env }> {
	const kindOfCommand = new Map(
		Object.entries(commandOfKind).map(([kind, command]) => [command, kind as Kind]),
	);
	return Object.entries(compose.services)
		.filter(([name]) => name.startsWith('n8n-'))
		.map(([name, service]) => {
			const kind = kindOfCommand.get(String(service.command));
			if (!kind) throw new Error(`${name} runs "${String(service.command)}", not an n8n command`);
			return { name, kind, env: service.environment ?? {} };
		});
}

/** The connections as the compose file's own postgres and redis services define them. */
function connections() {
	const postgres = compose.services.postgres.environment!;
	const redisCommand = compose.services.redis.command as string[];
	return {
		database: {
			host: 'postgres',
			port: 5432,
			database: postgres.POSTGRES_DB,
			user: postgres.POSTGRES_USER,
			password: postgres.POSTGRES_PASSWORD,
		},
		queueRedis: {
			host: 'redis',
			port: 6379,
			password: redisCommand[redisCommand.indexOf('--requirepass') + 1],
		},
	};
}

describe('docs/queue-mode/docker-compose.yml', () => {
	let topology: QueueTopologyScript;

	beforeAll(async () => {
		topology = await importScript<QueueTopologyScript>('queue-topology.mjs');
	});

	it('runs the processes start:queue runs, each with its n8n command', () => {
		const kinds = (processes: Array<{ kind: Kind }>) => processes.map(({ kind }) => kind).sort();

		expect(kinds(n8nServices(topology.COMMAND_OF_KIND))).toEqual(kinds(topology.QUEUE_PROCESSES));
	});

	it("gives every n8n process its kind's environment, with the compose file's hosts and secrets", () => {
		const { database, queueRedis } = connections();
		for (const service of n8nServices(topology.COMMAND_OF_KIND)) {
			const shared = topology.sharedQueueEnv({
				database,
				queueRedis,
				encryptionKey: service.env.N8N_ENCRYPTION_KEY,
				webhookUrl: service.env.N8N_WEBHOOK_URL,
			});

			expect({ service: service.name, env: service.env }).toEqual({
				service: service.name,
				env: {
					...shared,
					...topology.processEnv(service.kind, PORT_OF_KIND[service.kind]),
					...COMPOSE_ONLY,
				},
			});
		}
	});

	it('shares one encryption key and one webhook URL, taken from the environment', () => {
		const services = n8nServices(topology.COMMAND_OF_KIND);
		const values = (key: string) => new Set(services.map((service) => service.env[key]));

		expect([...values('N8N_ENCRYPTION_KEY')]).toEqual([
			expect.stringMatching(/^\$\{N8N_ENCRYPTION_KEY:\?/),
		]);
		expect([...values('N8N_WEBHOOK_URL')]).toEqual([
			expect.stringMatching(/^\$\{N8N_WEBHOOK_URL:-/),
		]);
	});

	it('has the balancer send production webhooks to every webhook processor', () => {
		const nginx = readFileSync(path.join(path.dirname(composeFile), 'nginx.conf'), 'utf8');
		const webhookProcessors = n8nServices(topology.COMMAND_OF_KIND).filter(
			(s) => s.kind === 'webhook',
		);
		const upstream = /upstream webhook_processors \{([^}]*)\}/.exec(nginx)?.[1] ?? '';

		expect(nginx).toMatch(/location \/webhook\/ \{\s*proxy_pass http:\/\/webhook_processors;/);
		expect(upstream.match(/server ([\w-]+):5678;/g)?.sort()).toEqual(
			webhookProcessors.map((s) => `server ${s.name}:5678;`).sort(),
		);
	});
});
