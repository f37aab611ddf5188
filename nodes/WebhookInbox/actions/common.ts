import type {
	IDisplayOptions,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import type { EntryClaim } from '../../../lib/inbox/claimEntries';
import type { JoinedEntry } from '../../../lib/inbox/entryPages';
import { ENTRY_STATES, type EntryState } from '../../../lib/inbox/entryState';
import type { EntryFilter } from '../../../lib/inbox/redrive';
import { parseTimeWindow } from '../../../lib/inbox/timeWindow';
import { describeClaim, describeRecord } from '../../../lib/idempotency/describeRecord';
import type { ClaimOptions, IdempotencyStore } from '../../../lib/store/IdempotencyStore';
import {
	deadLetterRetentionProperty,
	leaseProperty,
	maxAttemptsProperty,
	readDeadLetterRetentionMs,
	readLeaseMs,
} from '../../shared/lease';
import { outputsByName } from '../../shared/outputIndex';
import { type Routed, runBatch } from '../../shared/runBatch';
import { configuredOutputs, type OutputName } from '../outputs';

/** The node's store, opened once the batch reaches it (see the node's execute). */
export type OpenStore = () => Promise<IdempotencyStore>;

export type Operation = (
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
) => Promise<INodeExecutionData[][]>;

const iso = (epochMs: number) => new Date(epochMs).toISOString();

type RoutedByName = { output: OutputName } & Omit<Routed, 'output'>;

/**
 * An operation that runs once per execution, whatever its input (a schedule's tick, a form's
 * submission): `work` reads its parameters from the first item, and everything `route` makes of
 * the result leaves as items paired with that one. Errors and Continue On Fail go through the
 * shared runner; with Continue On Fail the error item leaves through `errorOutput`, which for an
 * operation that claims is never the output leading to processing.
 */
export function onceOperation<Result>(
	work: (context: IExecuteFunctions, store: IdempotencyStore, namespace: string) => Promise<Result>,
	route: (result: Result, namespace: string) => RoutedByName[],
	errorOutput?: OutputName,
): Operation {
	return async function (this: IExecuteFunctions, store, namespace) {
		const outputs = outputsByName(
			configuredOutputs({
				resource: this.getNodeParameter('resource', 0) as string,
				operation: this.getNodeParameter('operation', 0) as string,
			}),
		);
		return await runBatch<true, Result>(this, {
			outputCount: outputs.count,
			errorOutput: errorOutput && outputs.index(errorOutput),
			prepare: (itemIndex) => (itemIndex === 0 ? true : null),
			execute: async () => [await work(this, await store(), namespace)],
			route: (result) =>
				route(result, namespace).map((item) => ({ ...item, output: outputs.index(item.output) })),
		});
	};
}

/** The item a claimed entry leaves as: exactly what the trigger emits, so the same nodes follow. */
export const claimedItem = ({ entry, record }: EntryClaim) => ({
	...entry.envelope,
	idempotency: describeClaim(record),
});

/** A kept delivery as List and Get show it: its facts, its key's state, never its raw bytes. */
export const describeEntry = ({ entry, record, state }: JoinedEntry) => ({
	eventId: entry.eventId,
	eventType: entry.eventType,
	state,
	scheme: entry.scheme,
	path: entry.path,
	receivedAt: iso(entry.receivedAt),
	lastReceivedAt: iso(entry.lastReceivedAt),
	receipts: entry.receipts,
	expiresAt: iso(entry.expiresAt),
	bodySha256: entry.bodyHash,
	headers: entry.headers,
	envelope: entry.envelope,
	idempotency: describeRecord(record, state),
});

/** Lease, Max Attempts and Dead Letter Retention of the claims the operation takes. */
export const claimProperties = (operation: string): INodeProperties[] => {
	const show: IDisplayOptions = { show: { resource: ['delivery'], operation: [operation] } };
	return [
		leaseProperty(
			'How long each claim protects the run it starts: longer than the slowest successful run. Use the same value as on the Signed Webhook Trigger.',
			show,
		),
		maxAttemptsProperty(
			'Claims an event may use. A claim taking over a crashed run (its lease ran out) after this many moves the event to Dead Letter instead. Use the same value as on the Signed Webhook Trigger.',
			show,
		),
		deadLetterRetentionProperty(
			'How long dead-lettered events, and claims whose lease ran out, keep their attempt count',
			show,
		),
	];
};

export const readClaimOptions = (context: IExecuteFunctions): ClaimOptions => ({
	leaseMs: readLeaseMs(context),
	maxAttempts: context.getNodeParameter('maxAttempts', 0, 3) as number,
	deadLetterRetentionMs: readDeadLetterRetentionMs(context),
});

/** From and To of a window of deliveries (by first receipt), for the operations that take one. */
export const windowProperties = (show: IDisplayOptions): INodeProperties[] => [
	{
		displayName: 'From',
		name: 'from',
		type: 'dateTime',
		default: '',
		description:
			'Deliveries first received at or after this time. Empty: from the oldest kept. Times without an offset are UTC.',
		displayOptions: show,
	},
	{
		displayName: 'To',
		name: 'to',
		type: 'dateTime',
		default: '',
		description: 'Deliveries first received before this time. Empty: up to now.',
		displayOptions: show,
	},
];

const STATE_NAMES: Record<EntryState, { name: string; description: string }> = {
	notClaimed: {
		name: 'Not Claimed',
		description: 'Kept but never started (n8n stopped between keeping and claiming)',
	},
	inProgress: {
		name: 'In Progress',
		description: 'A run holds the claim and its lease still runs',
	},
	stuck: {
		name: 'Stuck',
		description: 'Claimed, but the lease ran out without Complete or Release',
	},
	completed: { name: 'Completed', description: 'Processed' },
	released: { name: 'Released', description: 'A run failed and gave the event back' },
	deadLetter: { name: 'Dead Letter', description: 'Parked after Max Attempts, for a person' },
};

/** Only deliveries of one event type. */
export const eventTypeProperty = (show: IDisplayOptions): INodeProperties => ({
	displayName: 'Event Type',
	name: 'eventType',
	type: 'string',
	default: '',
	placeholder: 'payment_intent.succeeded',
	description: 'Only deliveries of this event type. Empty: every type.',
	displayOptions: show,
});

/** Event Type and Key State filters; `states` limits the choices to what the operation can act on. */
export const filterProperties = (
	show: IDisplayOptions,
	states: readonly EntryState[] = ENTRY_STATES,
	stateDescription = 'Only deliveries whose event is in one of these states. Empty: any state.',
): INodeProperties[] => [
	eventTypeProperty(show),
	{
		displayName: 'Key States',
		name: 'states',
		type: 'multiOptions',
		options: states.map((value) => ({ value, ...STATE_NAMES[value] })),
		default: [],
		description: stateDescription,
		displayOptions: show,
	},
];

/** The window and filters as the inbox core takes them (an unset filter is not shown: empty). */
export function readFilter(context: IExecuteFunctions): EntryFilter {
	const window = parseTimeWindow(
		context.getNodeParameter('from', 0, ''),
		context.getNodeParameter('to', 0, ''),
	);
	const eventType = (context.getNodeParameter('eventType', 0, '') as string).trim();
	return {
		...window,
		...(eventType ? { eventType } : {}),
		states: context.getNodeParameter('states', 0, []) as EntryState[],
	};
}

/** Max number of results of a listing operation. */
export const limitProperty = (show: IDisplayOptions): INodeProperties => ({
	displayName: 'Limit',
	name: 'limit',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: 50,
	description: 'Max number of results to return',
	displayOptions: show,
});

/** How many events a claiming operation sends to processing per run at most. */
export const maxEventsProperty = (
	show: IDisplayOptions,
	defaultMax: number,
	description: string,
): INodeProperties => ({
	displayName: 'Max Events per Run',
	name: 'maxEvents',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: defaultMax,
	description,
	displayOptions: show,
});

const readCount = (context: IExecuteFunctions, name: string, fallback: number): number =>
	Math.max(1, Math.floor(context.getNodeParameter(name, 0, fallback) as number));

export const readLimit = (context: IExecuteFunctions): number => readCount(context, 'limit', 50);
export const readMaxEvents = (context: IExecuteFunctions, fallback: number): number =>
	readCount(context, 'maxEvents', fallback);

export const now = () => Date.now();
