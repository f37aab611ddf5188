import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { listenLocally, type LocalServer } from './localServer';

/**
 * The business step of a workflow (charging, shipping, booking) as a local HTTP endpoint that
 * counts, per event, the calls it answered with success: the number an exactly-once test checks.
 * A call is `POST /` with a JSON body `{ "eventId": ... }`. It fails as real downstream systems
 * do: some events the first one or two tries (500), a poison event always, a bug's events until
 * it is fixed. A test can hold calls (to crash n8n while runs are inside the step), and hold one
 * event's first call until a later run overtook it.
 */

export interface BusinessRules {
	/** How many first tries of the event fail before one succeeds (0 for most). */
	failingTries?(eventId: string): number;
	/** Events whose every call fails. */
	poison?: readonly string[];
}

export interface HeldCall {
	eventId: string;
	/** The caller's EXECUTION_HEADER, when it sent one. */
	execution: string | undefined;
	/** True once the caller hung up (its n8n died): nothing can answer it any more. */
	readonly gone: boolean;
}

interface PendingCall extends HeldCall {
	response: ServerResponse;
	answer(): void;
}

/** A header naming the caller's run (an n8n execution id), kept with each success when sent. */
export const EXECUTION_HEADER = 'x-n8n-execution';

export interface Success {
	eventId: string;
	/** The EXECUTION_HEADER of the call; undefined when the caller did not send it. */
	execution: string | undefined;
	at: number;
}

const OK = 200;
const FAILED = 500;

export class BusinessEndpoint {
	/** Calls held by `hold()` and not answered yet. */
	readonly held: HeldCall[] = [];
	/** Calls whose caller was gone when they were to be answered: runs that died inside the step. */
	readonly dropped: string[] = [];
	/** Every call answered with success, in order. */
	readonly successLog: Success[] = [];
	private readonly answeredTries = new Map<string, number>();
	private readonly succeeded = new Map<string, number>();
	private readonly poison: Set<string>;
	private holding: ((eventId: string) => boolean) | undefined;
	private bugAffects: ((eventId: string) => boolean) | undefined;
	private readonly overtaking = new Map<string, PendingCall | 'waiting'>();
	private server: LocalServer | undefined;

	private constructor(private readonly rules: BusinessRules) {
		this.poison = new Set(rules.poison ?? []);
	}

	static async start(rules: BusinessRules = {}): Promise<BusinessEndpoint> {
		const endpoint = new BusinessEndpoint(rules);
		endpoint.server = await listenLocally(
			createServer((request, response) => void endpoint.receive(request, response)),
		);
		return endpoint;
	}

	get url(): string {
		return this.server!.origin;
	}

	/** Calls of the event answered with success: the times its business step happened. */
	successes(eventId: string): number {
		return this.succeeded.get(eventId) ?? 0;
	}

	/** Every event with at least one success, with its count. */
	successCounts(): ReadonlyMap<string, number> {
		return this.succeeded;
	}

	/** Calls of the event answered so far, failed or not. */
	tries(eventId: string): number {
		return this.answeredTries.get(eventId) ?? 0;
	}

	/** From now on every call (or each one `which` picks) waits, unanswered, in `held`, until `resume()`. */
	hold(which: (eventId: string) => boolean = () => true): void {
		this.holding = which;
	}

	/** Answers the held calls whose callers are still there, by the rules; counts the others dropped. */
	resume(): void {
		this.holding = undefined;
		for (const call of this.held.splice(0) as PendingCall[]) call.answer();
	}

	/** A bug ships: calls for the events it affects fail until `fix()`. */
	introduceBug(affects: (eventId: string) => boolean): void {
		this.bugAffects = affects;
	}

	fix(): void {
		this.bugAffects = undefined;
	}

	/**
	 * The event's next call is held until a later call of the same event succeeded (another run
	 * took its claim over); then it is answered with success too, as a slow system finally does.
	 */
	overtake(eventId: string): void {
		this.overtaking.set(eventId, 'waiting');
	}

	/** True while the event's overtaken call is still held. */
	isOvertakenCallHeld(eventId: string): boolean {
		return typeof this.overtaking.get(eventId) === 'object';
	}

	async close(): Promise<void> {
		await this.server?.close();
	}

	private async receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
		let text = '';
		for await (const chunk of request) text += String(chunk);
		const { eventId } = JSON.parse(text || '{}') as { eventId?: string };
		if (typeof eventId !== 'string') {
			response.writeHead(400).end('{"error":"expected {\\"eventId\\": ...}"}');
			return;
		}
		const execution = request.headers[EXECUTION_HEADER];
		const call: PendingCall = {
			eventId,
			execution: typeof execution === 'string' ? execution : undefined,
			response,
			get gone() {
				return response.destroyed || request.socket.destroyed;
			},
			answer: () => this.answer(call),
		};
		if (this.overtaking.get(eventId) === 'waiting') {
			this.overtaking.set(eventId, call);
			return;
		}
		if (this.holding?.(eventId)) {
			this.held.push(call);
			return;
		}
		call.answer();
	}

	private answer(call: PendingCall): void {
		if (call.gone) {
			this.dropped.push(call.eventId);
			return;
		}
		const { eventId } = call;
		const tries = this.tries(eventId) + 1;
		this.answeredTries.set(eventId, tries);
		const failure = this.poison.has(eventId)
			? 'poison'
			: this.bugAffects?.(eventId)
				? 'bug'
				: tries <= (this.rules.failingTries?.(eventId) ?? 0)
					? 'temporarily unavailable'
					: undefined;
		if (failure) {
			call.response.writeHead(FAILED, { 'content-type': 'application/json' });
			call.response.end(JSON.stringify({ error: failure, eventId }));
			return;
		}
		this.succeeded.set(eventId, this.successes(eventId) + 1);
		this.successLog.push({ eventId, execution: call.execution, at: Date.now() });
		call.response.writeHead(OK, { 'content-type': 'application/json' });
		call.response.end(JSON.stringify({ ok: true, eventId, try: tries }));
		const overtaken = this.overtaking.get(eventId);
		if (typeof overtaken === 'object' && overtaken !== call) {
			this.overtaking.delete(eventId);
			overtaken.answer();
		}
	}
}
