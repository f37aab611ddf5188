import type { IDisplayOptions, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

/** The lease of the claims a node takes, as each node describes it to its users. */
export const leaseProperty = (
	description: string,
	displayOptions: IDisplayOptions,
): INodeProperties => ({
	displayName: 'Lease (Minutes)',
	name: 'leaseMinutes',
	type: 'number',
	typeOptions: { minValue: 0.01 },
	default: 5,
	description,
	displayOptions,
});

/** How many claims a key may use before it is dead-lettered, as each node describes it. */
export const maxAttemptsProperty = (
	description: string,
	displayOptions: IDisplayOptions,
): INodeProperties => ({
	displayName: 'Max Attempts',
	name: 'maxAttempts',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: 3,
	description,
	displayOptions,
});

/** How long attempt counts are kept for dead letters and crashed claims, as each node describes it. */
export const deadLetterRetentionProperty = (
	description: string,
	displayOptions: IDisplayOptions,
): INodeProperties => ({
	displayName: 'Dead Letter Retention (Days)',
	name: 'deadLetterRetentionDays',
	type: 'number',
	typeOptions: { minValue: 0.001 },
	default: 30,
	description,
	displayOptions,
});

/** The Dead Letter Retention parameter in milliseconds, as the store takes it. */
export const readDeadLetterRetentionMs = (context: IExecuteFunctions): number =>
	(context.getNodeParameter('deadLetterRetentionDays', 0, 30) as number) * 86_400_000;

/** The Lease parameter in milliseconds, as the store takes it. */
export const readLeaseMs = (context: IExecuteFunctions): number =>
	(context.getNodeParameter('leaseMinutes', 0, 5) as number) * 60_000;
