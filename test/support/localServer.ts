import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
	/** `http://127.0.0.1:<port>` */
	origin: string;
	port: number;
	/** Drops open (keep-alive) connections, then closes. */
	close(): Promise<void>;
}

/** Starts `server` on a free port of 127.0.0.1, as every local stand-in server of the tests does. */
export async function listenLocally(server: Server): Promise<LocalServer> {
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	const { port } = server.address() as AddressInfo;
	return {
		origin: `http://127.0.0.1:${port}`,
		port,
		close: async () =>
			await new Promise<void>((resolve, reject) => {
				server.closeAllConnections();
				server.close((error) => (error ? reject(error) : resolve()));
			}),
	};
}
