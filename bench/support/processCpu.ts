import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports process CPU time in clock ticks of 1/100 s (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
	pid: number;
	parentPid: number;
	cpuSeconds: number;
	/** CPU seconds of its children that have exited and been waited for (cutime + cstime). */
	exitedChildrenCpuSeconds: number;
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
		exitedChildrenCpuSeconds: (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND,
	};
}

function liveProcesses(): ProcStat[] {
	return readdirSync('/proc')
		.filter((name) => /^\d+$/.test(name))
		.flatMap((pid) => readStat(pid) ?? []);
}

function childrenByParent(stats: readonly ProcStat[]): Map<number, ProcStat[]> {
	const children = new Map<number, ProcStat[]>();
	for (const stat of stats)
		children.set(stat.parentPid, [...(children.get(stat.parentPid) ?? []), stat]);
	return children;
}

/** CPU seconds of every live descendant of `rootPid`, from one listing of /proc. */
function descendantsOf(rootPid: number, stats: readonly ProcStat[]): number {
	const children = childrenByParent(stats);
	let total = 0;
	const pending = [...(children.get(rootPid) ?? [])];
	for (let stat = pending.pop(); stat; stat = pending.pop()) {
		total += stat.cpuSeconds;
		pending.push(...(children.get(stat.pid) ?? []));
	}
	return total;
}

/**
 * User + system CPU seconds used so far by every live descendant of this process: n8n and its task
 * runner. Unlike wall time, it does not grow when other work on the machine takes the cores.
 */
export function descendantsCpuSeconds(): number {
	return descendantsOf(process.pid, liveProcesses());
}

/**
 * CPU seconds used so far by each of `pids` with all its descendants (an n8n process and its task
 * runner, a PostgreSQL server and its backends), read from one listing of /proc. Descendants that
 * exited count too, through their parents' waited-for children's time, so a backend that closed
 * mid-round does not take its seconds with it.
 */
export function processTreesCpuSeconds(pids: readonly number[]): number[] {
	const stats = liveProcesses();
	const children = childrenByParent(stats);
	return pids.map((pid) => {
		let total = 0;
		const pending = stats.filter((stat) => stat.pid === pid);
		for (let stat = pending.pop(); stat; stat = pending.pop()) {
			total += stat.cpuSeconds + stat.exitedChildrenCpuSeconds;
			pending.push(...(children.get(stat.pid) ?? []));
		}
		return total;
	});
}

/** The pid of a live process whose command line (its arguments, program first) `matches`. */
export function findProcess(matches: (commandLine: string[]) => boolean): number | undefined {
	for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
		let commandLine: string[];
		try {
			commandLine = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
		} catch {
			continue;
		}
		if (matches(commandLine)) return Number(name);
	}
	return undefined;
}
