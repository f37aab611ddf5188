import {
	type IDataObject,
	type INodeExecutionData,
	type IRun,
	type ITriggerFunctions,
	NodeOperationError,
} from 'n8n-workflow';

import {
	type DeliveryPlan,
	followUp,
	planDelivery,
	type PollItem,
	pollStart,
} from '../../lib/poll/delivery';
import { pollOnce, type PollResult } from '../../lib/poll/pollCycle';
import { type CursorStore, openCursorStore } from './cursorStore';
import { describeCursor, toNodeError } from './pollErrors';
import type { PollSettings } from './readPollSettings';
import { pollDependencies } from './transport';

/**
 * Runs polls on the node's own schedule inside n8n's trigger mechanics: emit with a done promise,
 * then commit the cursor only when the run succeeded (at-least-once), as n8n's RabbitMQ and Kafka
 * triggers acknowledge messages. What to emit, commit and drain is decided in lib/poll/delivery.
 * Parameters come resolved (`settings`, read in trigger()); from the timer this class calls only
 * what n8n allows outside trigger(): emit, saveFailedExecution, the logger, credentials and the
 * request helpers.
 */
export class CursorPoller {
	private timer: NodeJS.Timeout | undefined;

	private stopped = false;

	constructor(
		private readonly context: ITriggerFunctions,
		private readonly settings: PollSettings,
	) {}

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
			const config = { ...this.settings.config, firstRun: { mode: 'lastN', count: 1 } as const };
			const dependencies = await pollDependencies(this.context, this.settings.authentication);
			const stored = await (await this.cursors()).read();
			let result = await pollOnce(stored, config, dependencies);
			if (result.envelopes.length === 0 && stored !== undefined) {
				result = await pollOnce(undefined, config, dependencies);
			}
			if (result.envelopes.length === 0) {
				throw new NodeOperationError(node, 'The API answered no records to show', {
					description:
						'Check the URL and Records Path, or create a record upstream and fetch again.',
				});
			}
			// One manual execution, whatever the Emit setting; items shaped as the active trigger's.
			const delivery = { ...this.settings.delivery, executions: 'perPoll' } as const;
			const [items] = planDelivery(result, delivery, config).batches;
			this.context.emit([asItems(items)]);
		} catch (error) {
			throw toNodeError(node, error);
		}
	}

	private schedule(delayMs: number): void {
		if (this.stopped) return;
		this.timer = setTimeout(() => {
			void this.cycle().then((drainNow) => this.schedule(drainNow ? 0 : this.settings.intervalMs));
		}, delayMs);
	}

	/** One poll; answers whether the next one should start at once (a backlog to drain). */
	private async cycle(): Promise<boolean> {
		const startedAt = Date.now();
		const { config, delivery } = this.settings;
		try {
			const cursors = await this.cursors();
			const start = pollStart(await cursors.read(), config, Date.now());
			if (start.kind === 'startFromNow') {
				await cursors.commit(start.state);
				this.context.logger.info('Cursor poll started from now', {
					cursor: describeCursor(start.state),
				});
				return false;
			}
			const dependencies = await pollDependencies(this.context, this.settings.authentication);
			const result = await pollOnce(start.from, config, dependencies);
			// Deactivated while polling: emitting would start a run of an inactive workflow. The
			// cursor stays, so these records come with the next activation.
			if (this.stopped) return false;
			const plan = planDelivery(result, delivery, config);
			const next = followUp(result, await this.emitAll(plan), config);
			if (next.commit) await cursors.commit(result.next);
			else this.logRetry(result);
			this.logCycle(result, startedAt, next.commit);
			if (next.stall) throw next.stall;
			return next.drainNow;
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

	/** Emits each batch as one execution; answers whether every run succeeded (when awaited). */
	private async emitAll({ batches, awaitRuns }: DeliveryPlan): Promise<boolean> {
		if (!awaitRuns) {
			for (const batch of batches) this.context.emit([asItems(batch)]);
			return true;
		}
		const runs = batches.map(async (batch) => {
			const done = this.context.helpers.createDeferredPromise<IRun>();
			this.context.emit([asItems(batch)], undefined, done);
			return await done.promise.then(runSucceeded, () => false);
		});
		return (await Promise.all(runs)).every(Boolean);
	}

	private logRetry(result: PollResult): void {
		this.context.logger.warn(
			'Cursor poll: the run that received the records failed; they will come again',
			{ records: result.envelopes.length, cursor: describeCursor(result.next) },
		);
	}

	private logCycle(result: PollResult, startedAt: number, committed: boolean): void {
		const cursorValue = result.next.value;
		this.context.logger.info('Cursor poll finished', {
			durationMs: Date.now() - startedAt,
			records: result.envelopes.length,
			fetched: result.fetched,
			pages: result.pages,
			retries: result.retries,
			truncated: result.truncated,
			stalled: result.stalled,
			committed,
			cursor: describeCursor(result.next),
			lagMs: cursorValue !== null && cursorValue > 1e11 ? Date.now() - cursorValue : undefined,
		});
	}

	private async cursors(): Promise<CursorStore> {
		return await openCursorStore(this.context, this.settings.storeBackend, this.settings.cursorKey);
	}
}

const asItems = (batch: PollItem[]): INodeExecutionData[] =>
	batch.map((item) => ({ json: item as unknown as IDataObject }));

const runSucceeded = (run: IRun) =>
	!run.data.resultData.error && run.status !== 'error' && run.status !== 'crashed';
