import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports process CPU time in clock ticks of 1/100 s (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
	pid: number;
	parentPid: number;
	cpuSeconds: number;
}

function readStat(pid: string): ProcStat | undefined {
	let text: string;
	try {
		text = readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return undefined; // Exited between the listing and the read.
	}
	// The command name may hold spaces and parentheses: the fields start after its last ')'.
	const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
	return {
		pid: Number(pid),
		parentPid: Number(fields[1]),
		cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
	};
}

/**
 * User + system CPU seconds used so far by every live descendant of this process: n8n and its task
 * runner. Unlike wall time, it does not grow when other work on the machine takes the cores.
 */
export function descendantsCpuSeconds(): number {
	const stats = readdirSync('/proc')
		.filter((name) => /^\d+$/.test(name))
		.flatMap((pid) => readStat(pid) ?? []);
	const children = new Map<number, ProcStat[]>();
	for (const stat of stats)
		children.set(stat.parentPid, [...(children.get(stat.parentPid) ?? []), stat]);
	let total = 0;
	const pending = [...(children.get(process.pid) ?? [])];
	for (let stat = pending.pop(); stat; stat = pending.pop()) {
		total += stat.cpuSeconds;
		pending.push(...(children.get(stat.pid) ?? []));
	}
	return total;
}
