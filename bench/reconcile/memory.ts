import { readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const MB = 1024 * 1024;

// The bench runs under `node --import tsx` without --expose-gc; the flag can still be set at run time,
// and a fresh context then sees `gc`.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function vmHwmBytes(): number {
	const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
	if (!match) throw new Error('/proc/self/status has no VmHWM');
	return Number(match[1]) * 1024;
}

export interface MemoryPeak {
	rssBeforeMb: number;
	/** VmHWM of this process after the work; reset to the current RSS before it. */
	peakRssMb: number;
	heapBeforeMb: number;
	/** Highest V8 heap in use, sampled every `intervalMs` while the work ran. */
	peakHeapMb: number;
}

/**
 * Runs `work` and measures this process's memory around it: garbage from earlier work is collected
 * first and the kernel's peak RSS reset, so the peak is this work's own.
 */
export async function measurePeakMemory<T>(
	work: () => Promise<T>,
	intervalMs = 20,
): Promise<{ value: T; memory: MemoryPeak }> {
	collectGarbage();
	const before = process.memoryUsage();
	writeFileSync('/proc/self/clear_refs', '5');
	let peakHeap = before.heapUsed;
	const timer = setInterval(() => {
		peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
	}, intervalMs);
	try {
		const value = await work();
		peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
		return {
			value,
			memory: {
				rssBeforeMb: before.rss / MB,
				peakRssMb: vmHwmBytes() / MB,
				heapBeforeMb: before.heapUsed / MB,
				peakHeapMb: peakHeap / MB,
			},
		};
	} finally {
		clearInterval(timer);
	}
}
