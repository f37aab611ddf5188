import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

import { findProcess, processTreesCpuSeconds } from '../../../bench/support/processCpu';

/**
 * A child that starts a grandchild burning `burnMs` of CPU (measured by the grandchild itself, so
 * the machine's load does not matter), says "done" once the grandchild has exited, then idles.
 */
function parentOfBurner(burnMs: number): { child: ChildProcess; done: Promise<unknown> } {
	const burner = `const s = process.cpuUsage(); while ((process.cpuUsage(s).user + process.cpuUsage(s).system) / 1000 < ${burnMs}) {}`;
	const parent = `
		const { spawn } = require('node:child_process');
		spawn(process.execPath, ['-e', ${JSON.stringify(burner)}]).on('exit', () => console.log('done'));
		setInterval(() => {}, 1000);`;
	const child = spawn(process.execPath, ['-e', parent, 'bench-process-cpu-test']);
	const done = once(child.stdout!, 'data');
	return { child, done };
}

describe('processTreesCpuSeconds', () => {
	let child: ChildProcess | undefined;
	afterEach(() => child?.kill('SIGKILL'));

	it("counts a descendant's CPU after it has exited", async () => {
		const started = parentOfBurner(500);
		child = started.child;
		await started.done;

		const [tree] = processTreesCpuSeconds([child.pid!]);

		// The parent itself used some CPU too; the grandchild's 0.5 s must be in the tree's total.
		expect(tree).toBeGreaterThanOrEqual(0.5);
	});

	it('answers 0 for a process that is not running', () => {
		expect(processTreesCpuSeconds([2 ** 22 + 1])).toEqual([0]);
	});
});

describe('findProcess', () => {
	it('finds a process by its command line, and nothing for a line no process has', async () => {
		const started = parentOfBurner(0);
		try {
			await started.done;
			expect(findProcess((args) => args.includes('bench-process-cpu-test'))).toBe(
				started.child.pid,
			);
			expect(findProcess((args) => args.includes('no-such-argument-anywhere'))).toBeUndefined();
		} finally {
			started.child.kill('SIGKILL');
		}
	});
});
