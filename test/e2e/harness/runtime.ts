import type { ChildProcess } from 'node:child_process';

import { importScript } from '../../support/importScript';

/** What scripts/n8n-runtime.mjs exports: the one implementation of installing and starting n8n. */
export interface N8nRuntime {
	REPO_DIR: string;
	ensureN8nRuntime(): Promise<{ nodeBin: string; n8nBin: string; runtimeDir: string }>;
	getFreePort(): Promise<number>;
	startN8n(options: {
		userFolder: string;
		port: number;
		env?: Record<string, string>;
		logFile?: string;
		packageDir?: string | null;
	}): Promise<RunningN8n>;
}

export interface RunningN8n {
	baseUrl: string;
	stop(): Promise<void>;
	process: ChildProcess;
}

/** The runtime module, loaded once per test file. */
export function loadN8nRuntime(): Promise<N8nRuntime> {
	return importScript<N8nRuntime>('n8n-runtime.mjs');
}
