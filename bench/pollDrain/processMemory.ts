import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Memory of the n8n processes this bench started, read from /proc. The e2e harness keeps its child
 * process to itself, so an n8n is found as the bench's descendant whose command line runs
 * `n8n start` and whose environment gives it the instance's port.
 */

interface ProcessInfo {
	pid: number;
	parentPid: number;
	commandLine: string;
}

function processInfo(pid: string): ProcessInfo | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
		return { pid: Number(pid), parentPid: Number(fields[1]), commandLine };
	} catch {
		return undefined; // Exited between the listing and the read.
	}
}

function descendants(rootPid: number): ProcessInfo[] {
	const all = readdirSync('/proc')
		.filter((name) => /^\d+$/.test(name))
		.flatMap((pid) => processInfo(pid) ?? []);
	const found: ProcessInfo[] = [];
	const parents = new Set([rootPid]);
	for (let grew = true; grew; ) {
		grew = false;
		for (const info of all) {
			if (parents.has(info.parentPid) && !parents.has(info.pid)) {
				parents.add(info.pid);
				found.push(info);
				grew = true;
			}
		}
	}
	return found;
}

function environmentHas(pid: number, entry: string): boolean {
	try {
		return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry);
	} catch {
		return false;
	}
}

/** The pid of the n8n main process (not its task runner) listening on `port`. */
export function findN8nPid(port: number): number {
	const n8n = descendants(process.pid).find(
		({ pid, commandLine }) =>
			/\bn8n\b.*\bstart\b/.test(commandLine) && environmentHas(pid, `N8N_PORT=${port}`),
	);
	if (!n8n) throw new Error(`No descendant process runs "n8n start" on port ${port}`);
	return n8n.pid;
}

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM). */
export function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
	const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
		readFileSync(`/proc/${pid}/status`, 'utf8'),
	);
	if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
	return Number(match[1]) * 1024;
}

/** Sets the process's peak RSS (VmHWM) back to its current RSS (Linux >= 4.0, same user). */
export function resetPeakRss(pid: number): void {
	writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/**
 * Samples the summed RSS of an n8n and its descendants (its task runner) until stopped: a
 * cross-check on VmHWM that also counts the runner.
 */
export function sampleTreeRss(n8nPid: number, intervalMs = 100): { stop(): number } {
	let peak = 0;
	const sample = () => {
		let total = 0;
		for (const pid of [n8nPid, ...descendants(n8nPid).map((info) => info.pid)]) {
			try {
				total += statusBytes(pid, 'VmRSS');
			} catch {
				// Exited, or a kernel thread without VmRSS.
			}
		}
		peak = Math.max(peak, total);
	};
	sample();
	const timer = setInterval(sample, intervalMs);
	return {
		stop() {
			clearInterval(timer);
			sample();
			return peak;
		},
	};
}
