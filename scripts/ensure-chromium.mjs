#!/usr/bin/env node
/**
 * The Chromium the editor browser test drives: Debian's `chromium` package, installed with apt-get
 * when missing. Playwright's own browser download cannot work here (the machine reaches only the
 * npm registry and Debian's packages), so playwright-core is pointed at this executable instead.
 * Node built-ins only. Run directly, it prints the executable path.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { run } from './processes.mjs';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const APT_COMMANDS = [
	['update'],
	// Another session may be installing packages at the same time: wait for its dpkg lock.
	['install', '-y', '-o', 'DPkg::Lock::Timeout=600', 'chromium'],
];

// Progress goes to stderr, so that run as a script stdout carries only the path.
const log = (line) => console.error(`[ensure-chromium] ${line}`);

class ChromiumMissingError extends Error {
	constructor(reason) {
		super(
			`Chromium is missing: ${CHROMIUM_PATH} does not exist and ${reason}. ` +
				"Install Debian's chromium package as root (apt-get update && apt-get install -y chromium), then run the tests again.",
		);
		this.name = 'ChromiumMissingError';
	}
}

/** apt-get, its output on stderr (stdout is the path); any failure says Chromium is missing. */
async function apt(args) {
	try {
		await run('apt-get', args, {
			stdio: ['ignore', 2, 2],
			env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
		});
	} catch (error) {
		throw new ChromiumMissingError(error.message);
	}
}

/** The path of a Chromium executable, installing Debian's `chromium` first if there is none. */
export async function ensureChromium() {
	if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
	if (process.getuid?.() !== 0) {
		throw new ChromiumMissingError(
			`installing it with apt-get needs root (this process runs as uid ${process.getuid?.()})`,
		);
	}
	log(
		`${CHROMIUM_PATH} not found: installing Debian's package "chromium" with apt-get update && apt-get install -y chromium`,
	);
	for (const args of APT_COMMANDS) await apt(args);
	if (!existsSync(CHROMIUM_PATH)) {
		throw new ChromiumMissingError(
			`apt-get installed the chromium package but it put no executable there`,
		);
	}
	log(`installed ${CHROMIUM_PATH}`);
	return CHROMIUM_PATH;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	try {
		console.log(await ensureChromium());
	} catch (error) {
		console.error(error.message);
		process.exit(1);
	}
}
