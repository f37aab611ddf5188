import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import {
	deadLetterRetentionProperty,
	maxAttemptsProperty,
	readDeadLetterRetentionMs,
} from '../../shared/lease';

/** Claim and Release share these: a lost run (crash) and a failed run (release) count alike. */
const show = { show: { operation: ['claim', 'release'] } };

export const attemptProperties: INodeProperties[] = [
	maxAttemptsProperty(
		'Claims a key may use. Release after this many claims, or a Claim taking over a crashed run (lease ran out) after this many, moves the key to Dead Letter; later claims report it there instead of New. Use the same value on Claim and Release.',
		show,
	),
	deadLetterRetentionProperty(
		'How long released and dead-lettered keys, and claims whose lease ran out, keep their attempt count',
		show,
	),
];

/** Max Attempts and Dead Letter Retention as the store takes them. */
export const readAttemptLimits = (context: IExecuteFunctions) => ({
	maxAttempts: context.getNodeParameter('maxAttempts', 0, 3) as number,
	deadLetterRetentionMs: readDeadLetterRetentionMs(context),
});
