import { type IExecuteFunctions, type INodeProperties, NodeOperationError } from 'n8n-workflow';

import { readOwnPath } from '../../../lib/expressions/fieldReference';
import { describeRecord } from '../../../lib/idempotency/describeRecord';
import type { KeyRecord } from '../../../lib/store/IdempotencyStore';

const TOKEN_ON_ITEM = '={{ $json.idempotency?.token ?? "" }}';

/**
 * The token a Claim (or the Signed Webhook Trigger in inbox mode) put on its item, which Complete
 * and Release send back so the store acts only while that claim still holds the key. Read from
 * the item by default; empty for items claimed before tokens existed, which keep the old
 * behaviour (act on whoever holds the key).
 */
export const fencingTokenProperty: INodeProperties = {
	displayName: 'Fencing Token',
	name: 'fencing',
	type: 'string',
	default: TOKEN_ON_ITEM,
	description:
		"The token the Claim gave this item's key. The key is completed or released only while that claim still holds it; an item whose run was overtaken (its lease ran out and another run claimed the key, or another claim finished it) leaves through Lost Claim and changes nothing. Empty: act on whoever holds the key, as before tokens existed.",
	hint: "When a step before here replaces the item (an HTTP Request does), read the token from the node that claimed, e.g. {{ $('Claim').item.json.idempotency.token }}",
	displayOptions: { show: { operation: ['complete', 'release'] } },
};

/**
 * The same token on Claim: an item that already holds its key's claim (a re-run of its run) is
 * let through again, so a Claim before the business step guards it against re-runs.
 */
export const claimFencingTokenProperty: INodeProperties = {
	...fencingTokenProperty,
	description:
		"The token of a claim this item may already hold in this Namespace (the Signed Webhook Trigger's or an earlier Claim's). While that claim still holds the key the item goes to New again, with no extra attempt counted; once it completed the key, a re-run of the execution leaves through Duplicate. So a Claim placed before the business step lets the first run through and stops a re-run of a finished one. Empty: every claim is a new one.",
	displayOptions: { show: { operation: ['claim'] } },
};

const LOST_CLAIM_MESSAGE =
	"This item's claim no longer holds the key: its lease ran out and another run claimed the key, or another claim completed or released it. Nothing was changed.";

/** The `idempotency` field of a Complete or Release item: its own token, and why on Lost Claim. */
export const describeFenced = (
	record: KeyRecord | undefined,
	status: string,
	token: string | undefined,
) => ({
	...describeRecord(record, status, token),
	...(status === 'lostClaim' ? { message: LOST_CLAIM_MESSAGE } : {}),
});

/**
 * The Fencing Token for an item. Left at its default, it is read from the item directly: the same
 * value n8n's expression gives (own fields only, anything absent or null is no token), without an
 * expression evaluation per item.
 */
function tokenValue(context: IExecuteFunctions, itemIndex: number): unknown {
	if (context.getNode().parameters?.fencing === TOKEN_ON_ITEM) {
		return readOwnPath(context.getInputData()[itemIndex]?.json, ['idempotency', 'token']);
	}
	return context.getNodeParameter('fencing', itemIndex, '') as unknown;
}

export function readToken(context: IExecuteFunctions, itemIndex: number): string | undefined {
	const value = tokenValue(context, itemIndex);
	if (value === '' || value === null || value === undefined) return undefined;
	if (typeof value !== 'string') {
		throw new NodeOperationError(
			context.getNode(),
			`Item ${itemIndex} has a fencing token that is not text: ${JSON.stringify(value)}`,
			{
				itemIndex,
				description:
					'Use the token the Claim gave the item, {{ $json.idempotency.token }}, or leave Fencing Token empty.',
			},
		);
	}
	return value;
}
