import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { describeRecord } from '../../../../lib/idempotency/describeRecord';
import { recoverStuck } from '../../../../lib/inbox/recoverStuck';
import {
	claimedItem,
	claimProperties,
	maxEventsProperty,
	now,
	type OpenStore,
	readClaimOptions,
	readMaxEvents,
	runOnce,
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
export async function execute(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	return await runOnce(
		this,
		async () =>
			await recoverStuck(await store(), namespace, {
				window: {
					graceMs: (this.getNodeParameter('graceMinutes', 0, 2) as number) * MINUTE_MS,
					lookBackMs: (this.getNodeParameter('lookBackHours', 0, 24) as number) * 60 * MINUTE_MS,
				},
				limit: readMaxEvents(this, DEFAULT_LIMIT),
				claim: readClaimOptions(this),
				now,
			}),
		({ recovered, deadLettered }) => [
			...recovered.map((claim) => ({ output: 'Recovered' as const, json: claimedItem(claim) })),
			...deadLettered.map(({ entry, record }) => ({
				output: 'Dead Letter' as const,
				json: { ...entry.envelope, idempotency: describeRecord(record, 'deadLetter') },
			})),
		],
	);
}
