import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { requeueDeadLetters } from '../../../../lib/inbox/requeueDeadLetters';
import { parseList } from '../../../../lib/text/parseList';
import {
	claimedItem,
	claimProperties,
	maxEventsProperty,
	type OpenStore,
	readClaimOptions,
	readMaxEvents,
	runOnce,
} from '../common';

const show = { show: { resource: ['delivery'], operation: ['requeueDeadLetters'] } };
const DEFAULT_LIMIT = 1_000;

export const properties: INodeProperties[] = [
	{
		displayName: 'Event IDs',
		name: 'eventIds',
		type: 'string',
		default: '',
		placeholder: 'evt_1, evt_2',
		description:
			'The dead-lettered events to run again, separated by commas or new lines. Empty: every dead letter of this webhook, up to the limit.',
		displayOptions: show,
	},
	...claimProperties('requeueDeadLetters'),
	maxEventsProperty(
		show,
		DEFAULT_LIMIT,
		'Dead letters requeued per run at most, when no IDs are given',
	),
];

/**
 * After the cause of a dead letter was fixed: its attempts start again from 0 (its release and
 * crash history kept), it is claimed, and it leaves through Requeued like a trigger item.
 */
export async function execute(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	return await runOnce(
		this,
		async () => {
			const eventIds = parseList(this.getNodeParameter('eventIds', 0, '') as string, /[,\n]/);
			return await requeueDeadLetters(
				await store(),
				namespace,
				eventIds.length > 0 ? eventIds : undefined,
				{ limit: readMaxEvents(this, DEFAULT_LIMIT), claim: readClaimOptions(this) },
			);
		},
		({ requeued, skipped }) => [
			...requeued.map((claim) => ({ output: 'Requeued' as const, json: claimedItem(claim) })),
			...skipped.map((json) => ({ output: 'Skipped' as const, json })),
		],
	);
}
