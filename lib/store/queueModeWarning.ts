/**
 * Whether the embedded store is a trap in this process. Under n8n's queue mode a delivery, a
 * claim or a sweep runs in whichever webhook processor or worker got it; the embedded store is a
 * file on one machine, and each process with its own user folder has its own file. Dedup then
 * holds per process only: the duplicate that reaches the other process starts a second run.
 */
import { defaultEmbeddedStorePath } from './openStore';

/** The operator's word that every n8n process runs on this machine and opens the same store file. */
export const EMBEDDED_STORE_SHARED_ENV = 'HYBRID_SYNC_EMBEDDED_STORE_SHARED';

/**
 * The warning to show for the embedded store at `storePath` in a process with this environment,
 * or undefined when there is nothing to warn about.
 */
export function embeddedStoreQueueModeWarning(
	env: Readonly<Record<string, string | undefined>>,
	storePath: string,
): string | undefined {
	if (env.EXECUTIONS_MODE !== 'queue') return undefined;
	if (env[EMBEDDED_STORE_SHARED_ENV] === 'true') return undefined;
	return (
		`The embedded store (${storePath}) is a file of this n8n process, but n8n runs in queue mode ` +
		'(EXECUTIONS_MODE=queue): each webhook processor and worker keeps its own keys, so a repeat ' +
		'that reaches another process is not recognised and runs again. Choose the Redis or PostgreSQL ' +
		'store. If every n8n process runs on this machine and opens this same file (set ' +
		`HYBRID_SYNC_STORE_PATH to one path for all of them), set ${EMBEDDED_STORE_SHARED_ENV}=true.`
	);
}

/** The warning for this process's environment and its default embedded store file. */
export const embeddedStoreWarningForThisProcess = (): string | undefined =>
	embeddedStoreQueueModeWarning(process.env, defaultEmbeddedStorePath());
