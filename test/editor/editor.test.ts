import type { Page } from 'playwright-core';

import { N8nInstance, OWNER } from '../e2e/harness';
import {
	addNodeFromPanel,
	closeNdv,
	launchEditorBrowser,
	openNewWorkflow,
	parameterValue,
	screenshot,
	selectParameterOption,
	signIn,
	unknownNodeWarnings,
	visibleParameters,
	type AddedNode,
	type EditorBrowser,
} from './editorPage';

/**
 * The package's nodes as a user meets them in a real n8n editor: signed in through the form,
 * found in the nodes panel, added to a new workflow, their parameter panel rendered by n8n itself.
 * One `describe` per node; each adds its node to the same workflow and closes its panel after, so a
 * node added later finds a trigger on the canvas. A node with operations is added through one of
 * its actions: `addNodeFromPanel(page, 'Idempotency', 'Idempotency Check', 'Claim keys before
 * processing')`. Screenshots land in test-artifacts/editor/.
 */

const PACKAGE = 'n8n-nodes-hybrid-sync';

describe(`${PACKAGE} nodes in the n8n editor`, () => {
	let n8n: N8nInstance;
	let browser: EditorBrowser;
	let page: Page;

	beforeAll(async () => {
		browser = await launchEditorBrowser();
		page = browser.page;
		n8n = await N8nInstance.start();
		await signIn(page, n8n.baseUrl, OWNER);
		await openNewWorkflow(page, n8n.baseUrl);
	});

	afterAll(async () => {
		await browser?.close();
		await n8n?.stop();
	});

	describe('Signed Webhook Trigger', () => {
		let node: AddedNode;

		beforeAll(async () => {
			node = await addNodeFromPanel(page, 'Signed Webhook', 'Signed Webhook Trigger');
		});

		afterAll(async () => {
			if (node) await closeNdv(page);
		});

		it('is added from the community package and its parameters render', async () => {
			expect(node.type).toBe(`${PACKAGE}.signedWebhookTrigger`);
			expect(await unknownNodeWarnings(page)).toEqual([]);
			expect(await visibleParameters(page)).toMatchObject({
				path: 'Path',
				scheme: 'Scheme',
				deduplicate: 'Deduplicate Deliveries',
				deliveryOptions: 'Options',
			});
			expect(await parameterValue(page, 'scheme')).toBe('Standard Webhooks / Svix');
			expect(await page.getByTestId('node-credentials-slot').innerText()).toContain(
				'Webhook Signing Secret',
			);
			await screenshot(page, 'signed-webhook-trigger');
		});

		it('shows the timestamp tolerance and no custom fields for Stripe', async () => {
			await selectParameterOption(page, 'scheme', 'Stripe');

			const parameters = await visibleParameters(page);
			expect(parameters).toMatchObject({ toleranceSeconds: 'Timestamp Tolerance (Seconds)' });
			expect(parameters).not.toHaveProperty('signatureHeader');
			await screenshot(page, 'signed-webhook-trigger-stripe');
		});

		it('shows the custom signature fields for Custom HMAC', async () => {
			await selectParameterOption(page, 'scheme', 'Custom HMAC');

			expect(await visibleParameters(page)).toMatchObject({
				signatureHeader: 'Signature Header',
				algorithm: 'Algorithm',
				encoding: 'Encoding',
				signedPayloadTemplate: 'Signed Payload',
			});
			expect(await unknownNodeWarnings(page)).toEqual([]);
			await screenshot(page, 'signed-webhook-trigger-custom-hmac');
		});
	});

	describe('Idempotency Check', () => {
		let node: AddedNode;

		beforeAll(async () => {
			node = await addNodeFromPanel(
				page,
				'Idempotency',
				'Idempotency Check',
				'Claim keys before processing',
			);
		});

		afterAll(async () => {
			if (node) await closeNdv(page);
		});

		it('is added through its Claim action and its parameters render', async () => {
			expect(node.type).toBe(`${PACKAGE}.idempotencyCheck`);
			expect(await unknownNodeWarnings(page)).toEqual([]);
			expect(await visibleParameters(page)).toMatchObject({
				operation: 'Operation',
				key: 'Key',
				namespace: 'Namespace',
				leaseMinutes: 'Lease (Minutes)',
				storeBackend: 'Store',
			});
			expect(await parameterValue(page, 'operation')).toBe('Claim');
			await screenshot(page, 'idempotency-check-claim');
		});

		it('asks for the Redis credential when the store is Redis', async () => {
			await selectParameterOption(page, 'storeBackend', 'Redis');

			expect(await page.getByTestId('node-credentials-slot').innerText()).toContain(
				'Hybrid Sync Redis Store',
			);
			await selectParameterOption(page, 'storeBackend', 'Embedded (This N8n Instance)');
		});

		it('shows the attempt limit for Release', async () => {
			await selectParameterOption(page, 'operation', 'Release');

			const parameters = await visibleParameters(page);
			expect(parameters).toMatchObject({ maxAttempts: 'Max Attempts' });
			expect(parameters).not.toHaveProperty('leaseMinutes');
			await screenshot(page, 'idempotency-check-release');
			await selectParameterOption(page, 'operation', 'Claim');
		});

		it('draws the claim outputs on the canvas', async () => {
			await closeNdv(page);
			const canvas = await page.getByTestId('canvas').innerText();
			for (const output of ['New', 'Duplicate', 'In Progress', 'Dead Letter']) {
				expect(canvas).toContain(output);
			}
			await screenshot(page, 'idempotency-check-canvas');
			node = undefined as unknown as AddedNode;
		});
	});

	describe('Cursor Poll Trigger', () => {
		let node: AddedNode;

		beforeAll(async () => {
			node = await addNodeFromPanel(page, 'Cursor Poll', 'Cursor Poll Trigger');
		});

		afterAll(async () => {
			if (node) await closeNdv(page);
		});

		it('is added from the community package and its parameters render', async () => {
			expect(node.type).toBe(`${PACKAGE}.cursorPollTrigger`);
			expect(await unknownNodeWarnings(page)).toEqual([]);
			expect(await visibleParameters(page)).toMatchObject({
				url: 'URL',
				recordsPath: 'Records Path',
				cursorPath: 'Cursor Field',
				idPath: 'ID Field',
				paginationStyle: 'Pagination',
				commitMode: 'Commit Cursor',
			});
			await screenshot(page, 'cursor-poll-trigger');
		});

		it.each([
			[
				'Next Cursor in Body',
				{ nextCursorPath: 'Next Cursor Field', nextCursorParam: 'Next Cursor Query Parameter' },
			],
			['Link Header (RFC 5988)', { maxPages: 'Max Pages per Poll' }],
			['Next URL in Body', { nextUrlPath: 'Next URL Field' }],
			[
				'Offset and Limit',
				{
					offsetParam: 'Offset Query Parameter',
					limitParam: 'Limit Query Parameter',
					pageSize: 'Page Size',
				},
			],
			[
				'Page Number',
				{ pageParam: 'Page Query Parameter', firstPage: 'First Page', pageSize: 'Page Size' },
			],
			['None', { maxPages: 'Max Pages per Poll' }],
		])('renders the parameters of pagination "%s"', async (style, expected) => {
			await selectParameterOption(page, 'paginationStyle', style);

			expect(await visibleParameters(page)).toMatchObject(expected);
			expect(await unknownNodeWarnings(page)).toEqual([]);
			await screenshot(
				page,
				`cursor-poll-trigger-${style.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
			);
		});
	});
});
