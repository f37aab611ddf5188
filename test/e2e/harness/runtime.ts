import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

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

const RUNTIME_MODULE = path.resolve(__dirname, '../../../scripts/n8n-runtime.mjs');

let loaded: Promise<N8nRuntime> | undefined;

/**
 * Jest runs tests in a vm context whose require() refuses ES modules and whose import() needs
 * --experimental-vm-modules. A function compiled in the main context with Node's default loader
 * imports the .mjs as plain Node does (Node 24 marks that option experimental and says so once).
 */
export function loadN8nRuntime(): Promise<N8nRuntime> {
	const importInMainContext = new vm.Script('(url) => import(url)', {
		importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
	}).runInThisContext() as (url: string) => Promise<N8nRuntime>;
	loaded ??= importInMainContext(pathToFileURL(RUNTIME_MODULE).href);
	return loaded;
}
