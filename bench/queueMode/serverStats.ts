import Redis from 'ioredis';
import { Client } from 'pg';

import type { PostgresConnection, RedisConnection } from '../../test/lib/store/services';

/**
 * What the shared servers did during a round, read from the servers themselves: Redis's own
 * command counters and CPU time (INFO), PostgreSQL's transaction counters (pg_stat_database).
 */

const MONITOR_CATCH_UP_MS = 100;

export interface RedisCounters {
	/** Calls per command since the server started, without the INFO calls this module makes. */
	calls: Map<string, number>;
	cpuSeconds: number;
	/** With `watchClients`: commands that came over the network, each one round trip. */
	roundTrips?: Map<string, number>;
}

/** One open connection per server, so that the only commands it adds are its own INFO calls. */
export class RedisMeter {
	private readonly client: Redis;
	private monitor?: Redis;
	private roundTrips?: Map<string, number>;

	constructor({ host, port, password }: RedisConnection) {
		this.client = new Redis({ host, port, password, lazyConnect: true, maxRetriesPerRequest: 1 });
	}

	/**
	 * Counts the commands clients send apart from those their scripts run: INFO counts both alike,
	 * MONITOR tells them apart (a script's own commands come from "lua"). MONITOR costs the server a
	 * little CPU per command, which the server's CPU figures then include.
	 */
	async watchClients(): Promise<void> {
		const roundTrips = new Map<string, number>();
		// ioredis answers a new connection in monitor mode, leaving this client as it was.
		this.monitor = await this.client.monitor();
		this.monitor.on('monitor', (_time: string, args: string[], source: string) => {
			if (source === 'lua') return;
			const command = args[0].toLowerCase();
			roundTrips.set(command, (roundTrips.get(command) ?? 0) + 1);
		});
		this.roundTrips = roundTrips;
	}

	async read(): Promise<RedisCounters> {
		const [commandStats, cpu] = [
			await this.client.info('commandstats'),
			await this.client.info('cpu'),
		];
		const calls = new Map<string, number>();
		for (const match of commandStats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
			if (match[1] !== 'info') calls.set(match[1], Number(match[2]));
		}
		const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1]);
		// MONITOR's feed comes on its own connection: let what preceded this reading arrive.
		if (this.roundTrips) await new Promise((resolve) => setTimeout(resolve, MONITOR_CATCH_UP_MS));
		const roundTrips = this.roundTrips && new Map(this.roundTrips);
		roundTrips?.delete('info');
		return { calls, cpuSeconds: field('used_cpu_user') + field('used_cpu_sys'), roundTrips };
	}

	async close(): Promise<void> {
		this.client.disconnect();
		this.monitor?.disconnect();
	}
}

/** Calls per command between two readings of one counter, and their total. */
export function callsBetween(
	before: ReadonlyMap<string, number>,
	after: ReadonlyMap<string, number>,
): { total: number; byCommand: Record<string, number> } {
	const byCommand: Record<string, number> = {};
	let total = 0;
	for (const [command, calls] of after) {
		const made = calls - (before.get(command) ?? 0);
		if (made === 0) continue;
		byCommand[command] = made;
		total += made;
	}
	return { total, byCommand };
}

/**
 * Committed and rolled-back transactions in n8n's database. PostgreSQL 15 publishes a backend's
 * counters when it goes idle, at most once a second, so a reading may lag by up to a second's work.
 */
export class PostgresMeter {
	private readonly client: Client;

	constructor(connection: PostgresConnection) {
		this.client = new Client({ ...connection, ssl: false });
	}

	async open(): Promise<void> {
		await this.client.connect();
	}

	async transactions(): Promise<number> {
		await this.client.query('SELECT pg_stat_clear_snapshot()');
		const { rows } = await this.client.query<{ count: string }>(
			'SELECT xact_commit + xact_rollback AS count FROM pg_stat_database WHERE datname = $1',
			[this.client.database],
		);
		return Number(rows[0].count);
	}

	async close(): Promise<void> {
		await this.client.end();
	}
}
