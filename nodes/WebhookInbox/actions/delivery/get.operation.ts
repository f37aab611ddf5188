import {
	type IBinaryKeyData,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	NodeOperationError,
} from 'n8n-workflow';

import { entryState } from '../../../../lib/inbox/entryState';
import type { InboxEntryWithBody } from '../../../../lib/store/DeliveryInbox';
import type { KeyRecord } from '../../../../lib/store/IdempotencyStore';
import { outputsByName } from '../../../shared/outputIndex';
import { runBatch } from '../../../shared/runBatch';
import { configuredOutputs } from '../../outputs';
import { describeEntry, now, type OpenStore } from '../common';

const show = { show: { resource: ['delivery'], operation: ['get'] } };

export const properties: INodeProperties[] = [
	{
		displayName: 'Event ID',
		name: 'eventId',
		type: 'string',
		default: '={{ $json.id }}',
		required: true,
		description: 'The event to show, e.g. from a List item or a trigger item',
		displayOptions: show,
	},
	{
		displayName: 'Put Raw Body in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		description:
			'The binary field that receives the exact bytes the sender signed, e.g. to check a signature again or to attach them to a ticket',
		displayOptions: show,
	},
];

interface Found {
	eventId: string;
	entry: InboxEntryWithBody | undefined;
	record: KeyRecord | undefined;
	binary: IBinaryKeyData | undefined;
}

/** One item per input item: the kept delivery, its key's state, and its raw body as binary. */
export async function execute(
	this: IExecuteFunctions,
	store: OpenStore,
	namespace: string,
): Promise<INodeExecutionData[][]> {
	const outputs = outputsByName(configuredOutputs({ operation: 'get' }));
	const binaryField = (this.getNodeParameter('binaryPropertyName', 0, 'data') as string) || 'data';
	return await runBatch<string, Found>(this, {
		outputCount: outputs.count,
		prepare: (itemIndex) => readEventId(this, itemIndex),
		execute: async (eventIds) => {
			const opened = await store();
			const [entries, records] = await Promise.all([
				opened.inbox.get(namespace, eventIds),
				opened.inspect(namespace, eventIds),
			]);
			return await Promise.all(
				eventIds.map(async (eventId, index) => ({
					eventId,
					entry: entries[index],
					record: records[index],
					binary: await rawBodyBinary(this, entries[index], binaryField),
				})),
			);
		},
		route: ({ eventId, entry, record, binary }) => {
			if (entry === undefined) {
				return {
					error: new Error(
						`No delivery of event "${eventId}" is kept for this webhook: it was never received here, or it expired or was purged`,
					),
				};
			}
			const described = describeEntry({ entry, record, state: entryState(record, now()) });
			return {
				output: outputs.index('Deliveries'),
				json: { ...described, rawBodyExpired: entry.rawBody === undefined },
				...(binary ? { binary } : {}),
			};
		},
	});
}

function readEventId(context: IExecuteFunctions, itemIndex: number): string {
	const value = context.getNodeParameter('eventId', itemIndex, '') as unknown;
	const eventId = typeof value === 'number' ? String(value) : value;
	if (typeof eventId !== 'string' || eventId.trim() === '') {
		throw new NodeOperationError(
			context.getNode(),
			`Item ${itemIndex} has no event ID: the Event ID expression gave ${JSON.stringify(value ?? null)}`,
			{
				itemIndex,
				description: 'Give the ID of a kept event, e.g. {{ $json.eventId }} from a List item.',
			},
		);
	}
	return eventId;
}

async function rawBodyBinary(
	context: IExecuteFunctions,
	entry: InboxEntryWithBody | undefined,
	field: string,
): Promise<IBinaryKeyData | undefined> {
	if (entry?.rawBody === undefined) return undefined;
	const mimeType = (entry.headers['content-type'] ?? 'application/octet-stream')
		.split(';')[0]
		.trim();
	const fileName = `${entry.eventId.replace(/[^\w.-]/g, '_')}.body`;
	return { [field]: await context.helpers.prepareBinaryData(entry.rawBody, fileName, mimeType) };
}
