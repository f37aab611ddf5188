import type { INode } from 'n8n-workflow';

import { seededRandom, type MockShopApi } from '../support/mockShopApi';
import { startRecordingEndpoint, type RecordingEndpoint } from '../support/recordingEndpoint';
import {
	loadTemplate,
	patchNode,
	withCredential,
	type CreatedCredential,
	type CreatedWorkflow,
	type N8nInstance,
	type WorkflowDefinition,
} from './harness';

/**
 * What the order-intake e2e tests share: the templates' placeholders, the nodes that take the
 * shop's token and the Slack bot, and the nightly sweep published against an intake (either
 * intake template: both are entered by the sweep the same way).
 */

export const SHOP_PLACEHOLDER = 'https://your-shop.myshopify.com';
export const APPROVALS_PLACEHOLDER = 'https://approvals.example.com';
export const SLACK_PLACEHOLDER = 'https://slack.com';
/** How far ahead of publishing the sweep's nightly time is set; publishing takes about a second. */
const SWEEP_LEAD_MS = 30_000;

/**
 * Whether a delivery's answer started a run: the Keep and Claim trigger claimed it. A repeat of an
 * order approved (`duplicate`) or in progress (`inProgress`) is acknowledged and starts nothing.
 */
export function startedRun({ status, body }: { status: number; body: unknown }): boolean {
	const repeat = body as { duplicate?: boolean; inProgress?: boolean };
	return status === 200 && !repeat.duplicate && !repeat.inProgress;
}

/** Runs the tasks with at most `size` in flight. */
export async function inPool(tasks: Array<() => Promise<unknown>>, size: number): Promise<void> {
	let next = 0;
	await Promise.all(
		Array.from({ length: size }, async () => {
			while (next < tasks.length) await tasks[next++]();
		}),
	);
}

/** A shuffle that gives the same orders the same places in every run of the test. */
export function seededShuffle(seed: number): <T>(values: T[]) => T[] {
	const random = seededRandom(seed);
	return (values) => {
		const copy = [...values];
		for (let index = copy.length - 1; index > 0; index--) {
			const other = Math.floor(random() * (index + 1));
			[copy[index], copy[other]] = [copy[other], copy[index]];
		}
		return copy;
	};
}

/** The HTTP nodes that call Shopify's Admin API (the shop's token), not the approval system. */
export const usesShopToken = (node: INode) =>
	node.parameters.genericAuthType === 'httpHeaderAuth' &&
	String(node.parameters.url).includes('/admin/api/');
export const postsToSlack = (node: INode) => node.parameters.nodeCredentialType === 'slackApi';

/** Slack's chat.postMessage, answering as Slack does. */
export async function startSlack(): Promise<RecordingEndpoint> {
	return await startRecordingEndpoint(() => ({ status: 200, body: { ok: true, ts: '1.0' } }));
}

/** The nightly template as a user sets it up after the intake: the same shop, token and Slack. */
export function nightlyFor(
	intake: { id: string; credentials: Record<'SHOP_TOKEN' | 'SLACK_BOT', CreatedCredential> },
	shop: MockShopApi,
	slack: RecordingEndpoint,
): WorkflowDefinition {
	const template = patchNode(
		loadTemplate('nightly-reconciliation.json', {
			[SHOP_PLACEHOLDER]: shop.url,
			[SLACK_PLACEHOLDER]: slack.url,
		}),
		'Process Recovered Orders',
		(node) => ({
			...node,
			parameters: { ...node.parameters, workflowId: { __rl: true, value: intake.id, mode: 'id' } },
		}),
	);
	// By the credentials' IDs: saving a workflow, n8n replaces an unknown ID by the credential of
	// the same name only while one credential has that name (a test may create two).
	const { SHOP_TOKEN: shopToken, SLACK_BOT: slackBot } = intake.credentials;
	return withCredential(
		withCredential(template, usesShopToken, shopToken.id, shopToken),
		postsToSlack,
		slackBot.id,
		slackBot,
	);
}

/**
 * The nightly workflow published with its time moved to a moment a little ahead (the workflow's
 * zone is UTC), so the sweep runs once during the test as it runs once a night: a daily time fires
 * again only 24 hours later.
 */
export async function publishSweepSoon(
	n8n: N8nInstance,
	nightly: WorkflowDefinition,
): Promise<CreatedWorkflow> {
	const fireAt = new Date(Math.ceil((Date.now() + SWEEP_LEAD_MS) / 1000) * 1000);
	const expression = `${fireAt.getUTCSeconds()} ${fireAt.getUTCMinutes()} ${fireAt.getUTCHours()} * * *`;
	const tonight = patchNode(nightly, 'Every Night at 3:30 UTC', (node) => ({
		...node,
		parameters: { rule: { interval: [{ field: 'cronExpression', expression }] } },
	}));
	const workflow = await n8n.createWorkflow(tonight);
	await n8n.activateWorkflow(workflow);
	if (Date.now() >= fireAt.getTime()) {
		throw new Error(
			`Publishing the sweep ended after ${fireAt.toISOString()}, its only run today; raise SWEEP_LEAD_MS`,
		);
	}
	return workflow;
}
