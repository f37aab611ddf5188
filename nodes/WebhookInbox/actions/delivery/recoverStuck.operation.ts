import type { INodeProperties } from 'n8n-workflow';

import { describeRecord } from '../../../../lib/idempotency/describeRecord';
import { recoverStuck } from '../../../../lib/inbox/recoverStuck';
import {
	claimedItem,
	claimProperties,
	maxEventsProperty,
	now,
	readClaimOptions,
	readMaxEvents,
	onceOperation,
} from '../common';

const show = { show: { resource: ['delivery'], operation: ['recoverStuck'] } };
const MINUTE_MS = 60_000;
const DEFAULT_LIMIT = 1_000;

export const properties: INodeProperties[] = [
	{
		displayName: 'Grace Period (Minutes)',
		name: 'graceMinutes',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 2,
		description:
			'Deliveries received (or received again) less than this long ago are left alone: the trigger is still answering them',
		displayOptions: show,
	},
	{
		displayName: 'Look Back (Hours)',
		name: 'lookBackHours',
		type: 'number',
		typeOptions: { minValue: 0.01 },
		default: 24,
		description: 'Only deliveries first received within this many hours are looked at',
		hint: 'Keep it shorter than the Retention of Idempotency Check Complete (7 days by default): a delivery whose completed key expired would look never processed',
		displayOptions: show,
	},
	...claimProperties('recoverStuck'),
	maxEventsProperty(
		show,
		DEFAULT_LIMIT,
		'Deliveries recovered per run at most; the next run goes on with the rest',
	),
];

/**
 * The sweep a schedule runs every few minutes: deliveries nobody holds and nobody finished are
 * claimed again and leave through Recovered, shaped like the trigger's items, so the same
 * processing nodes (ending in Idempotency Check Complete or Release) follow.
 */
export const execute = onceOperation(
	async (context, store, namespace) => {
		const result = await recoverStuck(store, namespace, {
			window: {
				graceMs: (context.getNodeParameter('graceMinutes', 0, 2) as number) * MINUTE_MS,
				lookBackMs: (context.getNodeParameter('lookBackHours', 0, 24) as number) * 60 * MINUTE_MS,
			},
			limit: readMaxEvents(context, DEFAULT_LIMIT),
			claim: readClaimOptions(context),
			now,
		});
		// Each recovery is a run that failed or never started: worth a line in n8n's log.
		for (const { record } of [...result.recovered, ...result.deadLettered]) {
			context.logger.warn('Webhook Inbox recovered a delivery nobody had finished', {
				key: record.key,
				namespace,
				state: record.state,
				crashes: record.crashes ?? 0,
				node: context.getNode().name,
			});
		}
		return result;
	},
	({ recovered, deadLettered }) => [
		...recovered.map((claim) => ({ output: 'Recovered' as const, json: claimedItem(claim) })),
		...deadLettered.map(({ entry, record }) => ({
			output: 'Dead Letter' as const,
			json: { ...entry.envelope, idempotency: describeRecord(record, 'deadLetter') },
		})),
	],
	'Dead Letter',
);
