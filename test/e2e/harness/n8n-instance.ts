import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
	isTerminalExecutionStatus,
	type ExecutionStatus,
	type IConnections,
	type IDataObject,
	type INode,
	type IPinData,
	type IRunExecutionData,
	type IWorkflowSettings,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import { loadN8nRuntime, type N8nRuntime, type RunningN8n } from './runtime';

/** The owner account every instance is set up with; browser tests log in with it too. */
export const OWNER = {
	email: 'owner@e2e.example.com',
	password: 'E2e-Owner-Passw0rd',
	firstName: 'E2E',
	lastName: 'Owner',
} as const;

const POLL_INTERVAL_MS = 250;
const PUBLISH_TIMEOUT_MS = 30_000;
const EXECUTIONS_TIMEOUT_MS = 60_000;

/** A workflow as n8n exports it; fields n8n assigns itself (id, versionId, active) are ignored. */
export interface WorkflowDefinition {
	name: string;
	nodes: INode[];
	connections: IConnections;
	settings?: IWorkflowSettings;
	pinData?: IPinData;
}

export interface CreatedWorkflow {
	id: string;
	versionId: string;
	nodes: INode[];
}

export interface CreatedCredential {
	id: string;
	name: string;
	type: string;
}

export interface ExecutionSummary {
	id: string;
	workflowId: string;
	status: ExecutionStatus;
	mode: WorkflowExecuteMode;
	createdAt: string;
	startedAt: string | null;
	stoppedAt: string | null;
}

export interface ExecutionDetail extends ExecutionSummary {
	data: IRunExecutionData;
}

interface PublicationStatus {
	status: 'published' | 'partial' | 'failed' | 'in_progress' | 'not_published';
	liveVersionId: string | null;
	triggers: Array<{ nodeId: string; status: string; errorMessage: string | null }>;
}

export class N8nRestError extends Error {
	constructor(
		readonly route: string,
		readonly status: number,
		readonly responseBody: string,
	) {
		super(`${route} answered ${status}: ${responseBody.slice(0, 500)}`);
	}
}

export interface StartOptions {
	/** Extra environment for the n8n process (overrides the harness defaults). */
	env?: Record<string, string>;
	/** Install this repo's built package into the nodes folder (needs `npm run build`). */
	installPackage?: boolean;
	/** The port to listen on; a free one when not given. */
	port?: number;
}

/** A real n8n process in a temporary user folder, with an owner logged in over its REST API. */
export class N8nInstance {
	private cookie = '';

	private constructor(
		private readonly runtime: N8nRuntime,
		private running: RunningN8n,
		private readonly startArgs: Parameters<N8nRuntime['startN8n']>[0],
	) {}

	static async start({ env = {}, installPackage = true, ...options }: StartOptions = {}): Promise<N8nInstance> {
		const runtime = await loadN8nRuntime();
		const port = options.port ?? (await runtime.getFreePort());
		const startArgs = {
			userFolder: mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-')),
			port,
			env,
			logFile: path.join(runtime.REPO_DIR, 'test-artifacts', 'e2e', `n8n-${Date.now()}-${port}.log`),
			packageDir: installPackage ? runtime.REPO_DIR : null,
		};
		let running: RunningN8n;
		try {
			running = await runtime.startN8n(startArgs);
		} catch (error) {
			rmSync(startArgs.userFolder, { recursive: true, force: true });
			throw error;
		}
		const instance = new N8nInstance(runtime, running, startArgs);
		try {
			await instance.rest('POST', '/owner/setup', OWNER);
		} catch (error) {
			await instance.stop();
			throw error;
		}
		return instance;
	}

	get baseUrl(): string {
		return this.running.baseUrl;
	}

	/** The n8n process's id (its task runner is a child of it), for benchmarks that read /proc. */
	get pid(): number | undefined {
		return this.running.process.pid;
	}

	get logFile(): string | undefined {
		return this.startArgs.logFile;
	}

	/** The production URL of a published webhook. */
	webhookUrl(webhookPath: string): string {
		return `${this.baseUrl}/webhook/${webhookPath}`;
	}

	/** Calls n8n's internal REST API as the owner and unwraps its `{ data }` envelope. */
	async rest<T>(method: string, route: string, body?: unknown): Promise<T> {
		const response = await fetch(`${this.baseUrl}/rest${route}`, {
			method,
			headers: { 'content-type': 'application/json', cookie: this.cookie },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		if (!response.ok) throw new N8nRestError(`${method} /rest${route}`, response.status, text);
		const authCookie = response.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
		if (authCookie) this.cookie = authCookie.split(';')[0];
		return (JSON.parse(text) as { data: T }).data;
	}

	async login(): Promise<void> {
		await this.rest('POST', '/login', { emailOrLdapLoginId: OWNER.email, password: OWNER.password });
	}

	async createCredential(credential: {
		name: string;
		type: string;
		data: Record<string, unknown>;
	}): Promise<CreatedCredential> {
		const { id, name, type } = await this.rest<CreatedCredential>('POST', '/credentials', credential);
		return { id, name, type };
	}

	/**
	 * Creates a workflow from an exported definition. A node credential whose `id` is a key of
	 * `credentials` (a placeholder such as "REDIS_CREDENTIAL") is pointed at that created credential.
	 */
	async createWorkflow(
		definition: WorkflowDefinition,
		credentials: Record<string, CreatedCredential> = {},
	): Promise<CreatedWorkflow> {
		const unused = new Set(Object.keys(credentials));
		const nodes = definition.nodes.map((node) => {
			if (!node.credentials) return node;
			const wired = Object.entries(node.credentials).map(([type, reference]) => {
				const created = reference.id === null ? undefined : credentials[reference.id];
				if (!created) return [type, reference];
				unused.delete(reference.id as string);
				return [type, { id: created.id, name: created.name }];
			});
			return { ...node, credentials: Object.fromEntries(wired) };
		});
		if (unused.size > 0) {
			throw new Error(`No node of "${definition.name}" uses the credential placeholder(s) ${[...unused].join(', ')}`);
		}
		const { name, connections, settings = {}, pinData } = definition;
		return await this.rest<CreatedWorkflow>('POST', '/workflows', {
			name,
			nodes,
			connections,
			settings,
			pinData,
		});
	}

	/**
	 * Publishes the workflow's current version and waits until n8n reports every trigger of it
	 * activated: in n8n 2.41 activation goes through an outbox and finishes after the request.
	 */
	async activateWorkflow({ id, versionId }: Pick<CreatedWorkflow, 'id' | 'versionId'>): Promise<void> {
		await this.rest('POST', `/workflows/${id}/activate`, { versionId });
		const status = await this.poll(
			`workflow ${id} to be published`,
			PUBLISH_TIMEOUT_MS,
			() => this.rest<PublicationStatus>('GET', `/workflows/${id}/publication-status`),
			(s) => s.status !== 'in_progress' && s.liveVersionId === versionId,
		);
		if (status.status !== 'published') {
			const errors = status.triggers.map((t) => t.errorMessage).filter(Boolean);
			throw new Error(`Publishing workflow ${id} ended "${status.status}": ${errors.join('; ')}`);
		}
	}

	async isActive(workflowId: string): Promise<boolean> {
		const workflow = await this.rest<{ activeVersionId: string | null }>('GET', `/workflows/${workflowId}`);
		return workflow.activeVersionId !== null;
	}

	/** Every execution of the workflow, newest first. */
	async listExecutions(workflowId: string): Promise<ExecutionSummary[]> {
		const executions: ExecutionSummary[] = [];
		let cursor: string | null = null;
		do {
			const query = new URLSearchParams({ filter: JSON.stringify({ workflowId }), limit: '100' });
			if (cursor) query.set('cursor', cursor);
			const page: { results: ExecutionSummary[]; nextCursor: string | null } = await this.rest(
				'GET',
				`/executions?${query}`,
			);
			executions.push(...page.results);
			cursor = page.nextCursor;
		} while (cursor);
		return executions;
	}

	/** One execution with its run data, which n8n 2.41 sends as a flatted string. */
	async getExecution(executionId: string): Promise<ExecutionDetail> {
		const execution = await this.rest<ExecutionSummary & { data: string }>('GET', `/executions/${executionId}`);
		return { ...execution, data: (await this.flatted()).parse(execution.data) as IRunExecutionData };
	}

	/** Waits until the workflow has at least `count` executions and none of them is still running. */
	async waitForExecutions(
		workflowId: string,
		count: number,
		timeoutMs = EXECUTIONS_TIMEOUT_MS,
	): Promise<ExecutionSummary[]> {
		return await this.poll(
			`${count} finished execution(s) of workflow ${workflowId}`,
			timeoutMs,
			() => this.listExecutions(workflowId),
			(executions) =>
				executions.length >= count && executions.every((e) => isTerminalExecutionStatus(e.status)),
		);
	}

	/**
	 * Kills n8n with SIGKILL, as the kernel's OOM killer or a pulled plug would: no shutdown, no
	 * flush, runs cut off wherever they were. Its child processes (the task runner) go with it, so
	 * that none outlives the test. `restart()` then starts n8n again on the same folder and database.
	 */
	async kill(): Promise<void> {
		await killProcessTree(this.running.process);
	}

	/** Stops n8n (unless it is dead already) and starts it again on the same user folder and port; the owner stays logged in. */
	async restart(): Promise<void> {
		await this.running.stop();
		this.running = await this.runtime.startN8n(this.startArgs);
		try {
			await this.rest('GET', '/login');
		} catch (error) {
			if (!(error instanceof N8nRestError && error.status === 401)) throw error;
			await this.login();
		}
	}

	/** Stops n8n and deletes its user folder; the log stays in test-artifacts/e2e. */
	async stop(): Promise<void> {
		await this.running.stop();
		rmSync(this.startArgs.userFolder, { recursive: true, force: true });
	}

	private async flatted(): Promise<{ parse(text: string): unknown }> {
		const { runtimeDir } = await this.runtime.ensureN8nRuntime();
		// n8n's own copy, so the format matches what this n8n wrote.
		return require(path.join(runtimeDir, 'node_modules', 'flatted')) as { parse(text: string): unknown };
	}

	private async poll<T>(
		what: string,
		timeoutMs: number,
		read: () => Promise<T>,
		done: (value: T) => boolean,
	): Promise<T> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const value = await read();
			if (done(value)) return value;
			if (Date.now() > deadline) {
				throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
			}
			await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
		}
	}
}

/**
 * SIGKILLs an n8n process (no shutdown, nothing flushed), then the processes it started (its task
 * runner), so that none outlives the test; resolves once it exited.
 */
export async function killProcessTree(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const descendants = descendantPids(child.pid!);
	const exited = once(child, 'exit');
	child.kill('SIGKILL');
	await exited;
	for (const pid of descendants) killQuietly(pid);
}

/** The processes below `pid`, from each process's parent in /proc/<pid>/stat (Linux, as the runtime requires). */
function descendantPids(pid: number): number[] {
	const parents = new Map<number, number>();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			// Fields after the command name, which is in parentheses and may hold spaces: state, ppid, ...
			parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
		} catch {
			// Exited while listed.
		}
	}
	const below = (parent: number): number[] =>
		[...parents].filter(([, ppid]) => ppid === parent).flatMap(([child]) => [child, ...below(child)]);
	return below(pid);
}

function killQuietly(pid: number): void {
	try {
		process.kill(pid, 'SIGKILL');
	} catch {
		// Already gone.
	}
}

/** The JSON items a node put on its first output in its last run. */
export function nodeOutput(execution: ExecutionDetail, nodeName: string): IDataObject[] {
	const runs = execution.data.resultData.runData[nodeName];
	if (!runs?.length) throw new Error(`Node "${nodeName}" did not run in execution ${execution.id}`);
	return (runs[runs.length - 1].data?.main[0] ?? []).map((item) => item.json);
}
