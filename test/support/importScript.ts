import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

/** What scripts/processes.mjs exports: the one way to run a command and find a free port. */
export interface Processes {
	freePort(host?: string): Promise<number>;
}

const loaded = new Map<string, Promise<unknown>>();

/**
 * One of the ES modules in scripts/, for a test. Jest runs tests in a vm context whose require()
 * refuses ES modules and whose import() needs --experimental-vm-modules. A function compiled in
 * the main context with Node's default loader imports the .mjs as plain Node does (Node 24 marks
 * that option experimental and says so once).
 */
export function importScript<Module>(file: string): Promise<Module> {
	const url = pathToFileURL(path.resolve(__dirname, '../../scripts', file)).href;
	if (!loaded.has(url)) {
		const importInMainContext = new vm.Script('(url) => import(url)', {
			importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
		}).runInThisContext() as (url: string) => Promise<unknown>;
		loaded.set(url, importInMainContext(url));
	}
	return loaded.get(url) as Promise<Module>;
}
