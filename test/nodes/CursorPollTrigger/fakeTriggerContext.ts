import type {
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	IRun,
	ITriggerFunctions,
	LogMetadata,
	WorkflowExecuteMode,
} from 'n8n-workflow';

export const WORKFLOW_ID = 'workflow-under-test';
export const NODE_ID = 'cursor-poll-trigger-under-test';

export interface Deferred<T> {
	promise: Promise<T>;
	resolve(value: T): void;
	reject(error: Error): void;
}

export interface Emission {
	items: INodeExecutionData[][];
	/** Present when the trigger waits for the run's outcome (commit after success). */
	done?: Deferred<IRun>;
}

export interface LogLine {
	level: 'error' | 'warn' | 'info' | 'debug';
	message: string;
	metadata?: LogMetadata;
}

export interface FakeTrigger {
	context: ITriggerFunctions;
	emitted: Emission[];
	errors: Error[];
	logs: LogLine[];
	/** Outbound requests so far, by URL. */
	requests: string[];
	/** No request in flight and nothing logged, emitted or requested for `quietMs`. */
	isQuiet(quietMs: number): boolean;
	/** Lets requests held by `holdRequests` go on. */
	releaseRequests(): void;
	/** trigger() returned: from now on a parameter read fails, as it does in n8n (see getNodeParameter). */
	endActivation(): void;
}

function deferred<T>(): Deferred<T> {
	let resolve!: (value: T) => void;
	let reject!: (error: Error) => void;
	const promise = new Promise<T>((onResolve, onReject) => {
		resolve = onResolve;
		reject = onReject;
	});
	return { promise, resolve, reject };
}

/**
 * n8n's request helper with `returnFullResponse` and `ignoreHttpStatusErrors`, as a real fetch:
 * every status comes back as `{ statusCode, headers, body }`.
 */
async function httpRequest(options: IHttpRequestOptions) {
	const url = new URL(options.url);
	for (const [name, value] of Object.entries(options.qs ?? {})) {
		url.searchParams.set(name, String(value));
	}
	const response = await fetch(url, {
		method: options.method ?? 'GET',
		headers: options.headers as Record<string, string> | undefined,
	});
	return {
		statusCode: response.status,
		headers: Object.fromEntries(response.headers),
		body: await response.text(),
	};
}

/**
 * The part of `ITriggerFunctions` the Cursor Poll Trigger uses: parameters (during activation only),
 * node and workflow ids,
 * mode, emit with a done promise, saveFailedExecution, logger and the request helper. Anything else the node
 * calls is missing on purpose, so the test fails loudly instead of running against a stand-in.
 */
export function fakeTriggerContext(options: {
	parameters: Record<string, unknown>;
	mode?: WorkflowExecuteMode;
	/** Keep every request waiting until `releaseRequests()`: a poll held in flight on purpose. */
	holdRequests?: boolean;
}): FakeTrigger {
	let inFlight = 0;
	const gate = deferred<void>();
	if (!options.holdRequests) gate.resolve();
	let lastActivityAt = Date.now();
	let activating = true;
	const fake: Omit<FakeTrigger, 'context'> = {
		emitted: [],
		errors: [],
		logs: [],
		requests: [],
		isQuiet: (quietMs) => inFlight === 0 && Date.now() - lastActivityAt >= quietMs,
		releaseRequests: () => gate.resolve(),
		endActivation: () => {
			activating = false;
		},
	};
	const node: INode = {
		id: NODE_ID,
		name: 'Cursor Poll Trigger',
		type: 'n8n-nodes-hybrid-sync.cursorPollTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const log = (level: LogLine['level']) => (message: string, metadata?: LogMetadata) => {
		lastActivityAt = Date.now();
		fake.logs.push({ level, message, metadata });
	};
	const context = {
		getNode: () => node,
		getWorkflow: () => ({ id: WORKFLOW_ID, name: 'Cursor poll test', active: true }),
		getMode: () => options.mode ?? 'trigger',
		getNodeParameter(name: string, ...fallback: unknown[]) {
			// n8n evaluates a trigger's expressions only while trigger() runs at activation; later, from a
			// timer, an expression parameter throws this under its default engine. Any read is refused
			// here, so a parameter read from the poller's timer fails the test whatever its value.
			if (!activating)
				throw new Error('No bridge acquired for this context. Call acquire() first.');
			if (name in options.parameters) return options.parameters[name];
			// n8n throws too when a parameter is missing and the caller gave no fallback.
			if (fallback.length === 0) throw new Error(`Could not get parameter "${name}"`);
			return fallback[0];
		},
		emit(items: INodeExecutionData[][], _response?: unknown, done?: Deferred<IRun>) {
			lastActivityAt = Date.now();
			fake.emitted.push({ items, done });
		},
		saveFailedExecution(error: Error) {
			lastActivityAt = Date.now();
			fake.errors.push(error);
		},
		logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') },
		helpers: {
			createDeferredPromise: deferred,
			async httpRequest(request: IHttpRequestOptions) {
				fake.requests.push(request.url);
				inFlight++;
				try {
					await gate.promise;
					return await httpRequest(request);
				} finally {
					inFlight--;
					lastActivityAt = Date.now();
				}
			},
		},
	};
	// ITriggerFunctions is far larger than what the node touches; the members above answer the
	// way n8n's do at runtime.
	return { ...fake, context: context as unknown as ITriggerFunctions };
}

/** Waits until `check` answers something other than undefined (polls every 5 ms). */
export async function until<T>(check: () => T | undefined, what: string, timeoutMs = 3_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = check();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}
