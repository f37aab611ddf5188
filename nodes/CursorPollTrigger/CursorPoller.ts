import {
	type IDataObject,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type INode,
	type INodeExecutionData,
	type IRun,
	type ITriggerFunctions,
	NodeApiError,
	NodeOperationError,
} from 'n8n-workflow';

import type { CursorState } from '../../lib/poll/contracts';
import { PollResponseError } from '../../lib/poll/errors';
import {
	initialCursorState,
	type PageRequest,
	type PageResponse,
	type PollConfig,
	pollOnce,
	type PollResult,
	UpstreamError,
} from '../../lib/poll/pollCycle';
import type { IdempotencyStore } from '../../lib/store/IdempotencyStore';
import { openStoreFor } from '../shared/storeDescription';
import { readPollConfig } from './readPollConfig';

const CURSOR_NAMESPACE = 'cursor-poll-trigger';
const CURSOR_RETENTION_MS = 10 * 365 * 86_400_000;

/**
 * Runs polls on the node's own schedule inside n8n's trigger mechanics: emit with a done promise,
 * then commit the cursor to the package's store only when the run succeeded (at-least-once), as
 * n8n's RabbitMQ and Kafka triggers acknowledge messages. The store (not workflow static data,
 * which n8n writes only on the next emit) makes the committed cursor durable at once.
 */
export class CursorPoller {
	private timer: NodeJS.Timeout | undefined;

	private stopped = false;

	constructor(private readonly context: ITriggerFunctions) {}

	start(): void {
		this.schedule(0);
	}

	async stop(): Promise<void> {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
	}

	/**
	 * "Fetch Test Event": the records after the stored cursor, else the newest record, so the user
	 * always gets a sample to build on. Never committed.
	 */
	async testPoll(): Promise<void> {
		const node = this.context.getNode();
		try {
			const config: PollConfig = {
				...readPollConfig(this.context),
				firstRun: { mode: 'lastN', count: 1 },
			};
			const stored = await this.readCursor(await this.store());
			let result = await pollOnce(stored, config, this.dependencies());
			if (result.envelopes.length === 0 && stored !== undefined) {
				result = await pollOnce(undefined, config, this.dependencies());
			}
			if (result.envelopes.length === 0) {
				throw new NodeOperationError(node, 'The API answered no records to show', {
					description:
						'Check the URL and Records Path, or create a record upstream and fetch again.',
				});
			}
			this.context.emit([
				result.envelopes.map((envelope) => ({ json: envelope as unknown as IDataObject })),
			]);
		} catch (error) {
			throw toNodeError(node, error);
		}
	}

	private schedule(delayMs: number): void {
		if (this.stopped) return;
		this.timer = setTimeout(() => {
			void this.cycle().then((backlogLeft) => {
				// A poll that stopped at Max Pages with its cursor committed leaves a backlog: drain it
				// at once, one bounded poll after another, instead of waiting a whole interval.
				const seconds = this.context.getNodeParameter('pollIntervalSeconds', 900) as number;
				this.schedule(backlogLeft ? 0 : seconds * 1000);
			});
		}, delayMs);
	}

	/** One poll; answers whether a committed, truncated poll left more records to fetch now. */
	private async cycle(): Promise<boolean> {
		const startedAt = Date.now();
		try {
			const config = readPollConfig(this.context);
			const store = await this.store();
			const stored = await this.readCursor(store);
			if (stored === undefined) {
				const initial = initialCursorState(config, Date.now());
				if (initial && config.firstRun.mode === 'now') {
					await this.commit(store, initial);
					this.context.logger.info('Cursor poll started from now', {
						cursor: describeCursor(initial),
					});
					return false;
				}
			}
			const result = await pollOnce(
				stored ?? initialCursorState(config, Date.now()),
				config,
				this.dependencies(),
			);
			// Deactivated while polling: emitting would start a run of an inactive workflow. The
			// cursor stays, so these records come with the next activation.
			if (this.stopped) return false;
			const committed = await this.deliver(store, result);
			this.logCycle(result, startedAt, committed);
			return committed && result.truncated && !result.stalled;
		} catch (error) {
			this.context.logger.error('Cursor poll failed; the cursor stays where it was', {
				error: (error as Error).message,
				durationMs: Date.now() - startedAt,
			});
			// A failed execution in n8n's list, and the schedule goes on: the next poll retries from the
			// same cursor. (emitError would make n8n deregister and re-register the trigger at once,
			// which for a permanent error such as a 404 becomes a tight loop against the API.)
			if (!this.stopped)
				this.context.saveFailedExecution(toNodeError(this.context.getNode(), error));
			return false;
		}
	}

	/** Emits the records and commits the cursor per the commit mode; answers whether it was committed. */
	private async deliver(store: IdempotencyStore, result: PollResult): Promise<boolean> {
		if (result.envelopes.length === 0) {
			await this.commit(store, result.next);
			return true;
		}
		const perRecord = this.context.getNodeParameter('emitMode', 'perPoll') === 'perRecord';
		const batches: INodeExecutionData[][] = perRecord
			? result.envelopes.map((envelope) => [{ json: envelope as unknown as IDataObject }])
			: [result.envelopes.map((envelope) => ({ json: envelope as unknown as IDataObject }))];
		const afterSuccess =
			this.context.getNodeParameter('commitMode', 'afterSuccess') === 'afterSuccess';
		if (!afterSuccess) {
			for (const items of batches) this.context.emit([items]);
			await this.commit(store, result.next);
			return true;
		}
		const runs = batches.map((items) => {
			const done = this.context.helpers.createDeferredPromise<IRun>();
			this.context.emit([items], undefined, done);
			return done.promise.then(
				(run) => !run.data.resultData.error && run.status !== 'error' && run.status !== 'crashed',
				() => false,
			);
		});
		const succeeded = (await Promise.all(runs)).every(Boolean);
		if (!succeeded) {
			this.context.logger.warn(
				'Cursor poll: the run that received the records failed; they will come again',
				{
					records: result.envelopes.length,
					cursor: describeCursor(result.next),
				},
			);
			return false;
		}
		await this.commit(store, result.next);
		return true;
	}

	private logCycle(result: PollResult, startedAt: number, committed: boolean): void {
		if (result.stalled) {
			this.context.logger.warn(
				'Cursor poll cannot advance: more records share one cursor value than Max Pages per Poll x page size; raise either',
				{ cursor: describeCursor(result.next), pages: result.pages },
			);
		}
		const cursorValue = result.next.value;
		this.context.logger.info('Cursor poll finished', {
			durationMs: Date.now() - startedAt,
			records: result.envelopes.length,
			fetched: result.fetched,
			pages: result.pages,
			retries: result.retries,
			truncated: result.truncated,
			committed,
			cursor: describeCursor(result.next),
			lagMs: cursorValue !== null && cursorValue > 1e11 ? Date.now() - cursorValue : undefined,
		});
	}

	private async store(): Promise<IdempotencyStore> {
		return await openStoreFor(
			this.context,
			this.context.getNodeParameter('storeBackend', 'embedded') as string,
		);
	}

	private cursorKey(): string {
		const options = this.context.getNodeParameter('pollOptions', {}) as IDataObject;
		const generation = (options.cursorGeneration as string | undefined) ?? '';
		return `${this.context.getWorkflow().id}:${this.context.getNode().id}:${generation}`;
	}

	private async readCursor(store: IdempotencyStore): Promise<CursorState | undefined> {
		const [record] = await store.inspect(CURSOR_NAMESPACE, [this.cursorKey()]);
		return record?.result as CursorState | undefined;
	}

	private async commit(store: IdempotencyStore, state: CursorState): Promise<void> {
		await store.complete(CURSOR_NAMESPACE, [{ key: this.cursorKey(), result: state }], {
			retentionMs: CURSOR_RETENTION_MS,
		});
	}

	private dependencies() {
		const context = this.context;
		const authentication = context.getNodeParameter('authentication', 'none') as string;
		return {
			now: () => Date.now(),
			sleep: async (ms: number) => await new Promise<void>((resolve) => setTimeout(resolve, ms)),
			fetchPage: async (request: PageRequest): Promise<PageResponse> => {
				const options: IHttpRequestOptions = {
					url: request.url,
					method: request.method as IHttpRequestMethods,
					qs: request.query,
					headers: request.headers,
					body: request.body as IDataObject | undefined,
					json: false,
					encoding: 'text',
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
				};
				const response = (
					authentication === 'none'
						? await context.helpers.httpRequest(options)
						: await context.helpers.httpRequestWithAuthentication.call(
								context,
								authentication,
								options,
							)
				) as {
					statusCode: number;
					headers: Record<string, string | string[] | undefined>;
					body: unknown;
				};
				return {
					status: response.statusCode,
					headers: response.headers,
					body:
						typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? ''),
				};
			},
		};
	}
}

/** The poll's own errors as n8n's, with a description of what happens next or what to check. */
function toNodeError(node: INode, error: unknown): NodeApiError | NodeOperationError {
	if (error instanceof UpstreamError) {
		return new NodeApiError(
			node,
			{ message: error.message },
			{
				message: error.message,
				httpCode: error.status === undefined ? undefined : String(error.status),
				description: 'The cursor stays where it was: the next poll asks for the same records.',
			},
		);
	}
	if (error instanceof PollResponseError) {
		return new NodeOperationError(node, error.message, {
			description:
				'Compare Records Path, Cursor Field, ID Field and the pagination settings with a response of the API.',
		});
	}
	return new NodeOperationError(node, error instanceof Error ? error : new Error(String(error)));
}

function describeCursor(state: CursorState): string {
	if (state.value === null) return 'start';
	const asDate = state.value > 1e11 ? new Date(state.value).toISOString() : String(state.value);
	return `${asDate} (+${state.seenIds.length} boundary ids)`;
}
