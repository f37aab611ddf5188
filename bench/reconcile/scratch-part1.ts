import { openBackends } from '../idempotency/backends';
import { buildWindow, forget, measureSweep, seed } from './storeSweep';

async function main() {
	const backends = await openBackends();
	try {
		for (const size of [100_000, 1_000_000]) {
			const window = buildWindow(size);
			for (const backend of backends.all) {
				const t = Date.now();
				const rate = await seed(backend, window);
				console.log(backend.name, size, 'seeded', Math.round(rate), 'keys/s', Date.now() - t, 'ms');
				const run = await measureSweep(backend, window, 'r1');
				console.log(JSON.stringify(run));
				const t2 = Date.now();
				await forget(backend, window.entries.map(({ key }) => key));
				console.log('forgot in', Date.now() - t2, 'ms');
			}
		}
	} finally {
		await backends.close();
	}
}
main().catch((e) => { console.error(e); process.exitCode = 1; });
