import { createHash } from 'node:crypto';

import type Redis from 'ioredis';

/** A Lua script sent by its SHA-1 (EVALSHA), and whole only when the server does not know it. */
export interface Script {
	source: string;
	sha: string;
}

export const script = (source: string): Script => ({
	source,
	sha: createHash('sha1').update(source).digest('hex'),
});

export type ScriptArgument = string | number | Buffer;

/**
 * Runs a script in one round trip (two when the server forgot it, after a restart or SCRIPT
 * FLUSH). With `buffers`, every text in the reply comes back as a Buffer: raw bodies stay exact.
 */
export async function evaluate<T>(
	client: Redis,
	target: Script,
	keys: string[],
	args: ScriptArgument[],
	buffers = false,
): Promise<T> {
	const send = async (command: 'evalsha' | 'eval', first: string) => {
		const argv = [first, keys.length, ...keys, ...args];
		return (await (buffers ? client.callBuffer(command, argv) : client.call(command, argv))) as T;
	};
	try {
		return await send('evalsha', target.sha);
	} catch (error) {
		if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
		return await send('eval', target.source);
	}
}
