import { statSync } from 'node:fs';
import path from 'node:path';

import type { INode } from 'n8n-workflow';
import type { Page } from 'playwright-core';

import {
	N8nInstance,
	OWNER,
	shippedTemplates,
	type CreatedCredential,
	type WorkflowDefinition,
} from '../e2e/harness';
import { requiredCredentialTypes } from '../support/builtNodeTypes';
import {
	addNodeFromPanel,
	canvasNodeFlags,
	canvasNodeOutputs,
	closeNdv,
	launchEditorBrowser,
	openNewWorkflow,
	openNode,
	openWorkflow,
	parameterValue,
	screenshot,
	screenshotCanvas,
	selectParameterOption,
	signIn,
	unknownNodeWarnings,
	visibleParameters,
	zoomToFit,
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
 *
 * Then every template in templates/ is opened as a user would after importing it; its canvas
 * picture also goes to docs/images/, where the README shows it.
 */

const PACKAGE = 'n8n-nodes-hybrid-sync';
const REPO_DIR = path.resolve(__dirname, '..', '..');
const DOCS_IMAGES_DIR = path.join(REPO_DIR, 'docs', 'images');
const MAX_PICTURE_BYTES = 300 * 1024;

const templates = shippedTemplates();

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
			// Version 3: Keep and Claim by default, with its lease, attempts and answers.
			expect(await visibleParameters(page)).toMatchObject({
				path: 'Path',
				scheme: 'Scheme',
				guarantee: 'Processing Guarantee',
				leaseMinutes: 'Lease (Minutes)',
				maxAttempts: 'Max Attempts',
				whileInProgress: 'While In Progress',
				fingerprintFields: 'Payload Fingerprint Fields',
				respondWhen: 'Respond',
				eventIdFrom: 'Event ID From',
				storeBackend: 'Store',
				deliveryOptions: 'Options',
			});
			expect(await visibleParameters(page)).not.toHaveProperty('deduplicate');
			expect(await parameterValue(page, 'scheme')).toBe('Standard Webhooks / Svix');
			expect(await page.getByTestId('node-credentials-slot').innerText()).toContain(
				'Webhook Signing Secret',
			);
			await screenshot(page, 'signed-webhook-trigger');
		});

		it('shows the dedup window only for Dedup Window at Receipt, and no store when Off', async () => {
			await selectParameterOption(page, 'guarantee', 'Dedup Window at Receipt');
			const window = await visibleParameters(page);
			await selectParameterOption(page, 'guarantee', 'Off');
			const off = await visibleParameters(page);
			await selectParameterOption(page, 'guarantee', 'Keep and Claim');

			expect(window).toMatchObject({ dedupWindowHours: 'Deduplication Window (Hours)' });
			expect(window).not.toHaveProperty('leaseMinutes');
			expect(window).not.toHaveProperty('fingerprintFields');
			expect(off).not.toHaveProperty('storeBackend');
			expect(off).not.toHaveProperty('eventIdFrom');
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
				fencing: 'Fencing Token',
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
	describe('Reconcile', () => {
		let node: AddedNode;

		beforeAll(async () => {
			node = await addNodeFromPanel(page, 'Reconcile', 'Reconcile');
		});

		afterAll(async () => {
			if (node) await closeNdv(page);
		});

		it('is added from the community package and shows its against-the-store parameters', async () => {
			expect(node.type).toBe(`${PACKAGE}.reconcile`);
			expect(await unknownNodeWarnings(page)).toEqual([]);
			expect(await parameterValue(page, 'mode')).toBe('Against Store');
			expect(await visibleParameters(page)).toMatchObject({
				mode: 'Mode',
				key: 'Key',
				namespace: 'Namespace',
				claimRecovered: 'Claim Recovered',
				leaseMinutes: 'Lease (Minutes)',
				alertThresholdPercent: 'Alert Threshold (%)',
				storeBackend: 'Store',
			});
			await screenshot(page, 'reconcile-against-store');
		});

		it('shows the fields to match for Compare Inputs', async () => {
			await selectParameterOption(page, 'mode', 'Compare Inputs');
			// The panel re-renders its parameter list after the mode changes: read it once it has.
			await page
				.getByTestId('ndv')
				.locator('label[for="resolve"]')
				.filter({ hasText: 'When There Are Differences' })
				.waitFor();

			const parameters = await visibleParameters(page);
			expect(parameters).toMatchObject({ resolve: 'When There Are Differences' });
			expect(parameters).not.toHaveProperty('key');
			expect(parameters).not.toHaveProperty('claimRecovered');
			expect(await page.getByTestId('ndv').getByTestId('node-parameters').innerText()).toContain(
				'Fields to Match',
			);
			expect(await unknownNodeWarnings(page)).toEqual([]);
			await screenshot(page, 'reconcile-compare-inputs');
		});

		it("draws each mode's outputs on the canvas", async () => {
			await closeNdv(page);
			expect(await canvasNodeOutputs(page, node.name)).toEqual([
				'In A Only',
				'Same',
				'Different',
				'In B Only',
			]);

			await openNode(page, node.name);
			await selectParameterOption(page, 'mode', 'Against Store');
			await closeNdv(page);
			expect(await canvasNodeOutputs(page, node.name)).toEqual([
				'Missing',
				'Handled',
				'Changed',
				'In Progress',
				'Dead Letter',
				'Report',
				'Alert',
			]);
			await zoomToFit(page);
			await screenshot(page, 'reconcile-canvas');
			node = undefined as unknown as AddedNode;
		});
	});

	describe('workflow templates', () => {
		const credentials = new Map<string, CreatedCredential>();

		/**
		 * Templates ship without credentials; users add their own after importing. The test does the
		 * same for every credential a node requires (n8n marks a node without it as an issue), so
		 * that an issue marker left on the canvas is a real one and the pictures show the workflow
		 * ready to run.
		 */
		async function withCredentials(workflow: WorkflowDefinition): Promise<WorkflowDefinition> {
			const nodes = [];
			for (const node of workflow.nodes) {
				const assigned = { ...node.credentials };
				for (const type of credentialTypesNeeded(node).filter((needed) => !assigned[needed])) {
					let credential = credentials.get(type);
					if (!credential) {
						credential = await n8n.createCredential({ name: `My ${type}`, type, data: {} });
						credentials.set(type, credential);
					}
					assigned[type] = { id: credential.id, name: credential.name };
				}
				nodes.push(Object.keys(assigned).length > 0 ? { ...node, credentials: assigned } : node);
			}
			return { ...workflow, nodes };
		}

		/**
		 * Ours from their built descriptions; n8n's HTTP Request from its Authentication choice; the
		 * AI intake's OpenAI Chat Model its one credential.
		 */
		function credentialTypesNeeded(node: INode): string[] {
			if (node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi') return ['openAiApi'];
			if (node.type !== 'n8n-nodes-base.httpRequest') return requiredCredentialTypes(node);
			const { authentication, genericAuthType, nodeCredentialType } = node.parameters;
			if (authentication === 'genericCredentialType') return [genericAuthType as string];
			if (authentication === 'predefinedCredentialType') return [nodeCredentialType as string];
			return [];
		}

		it.each(templates)(
			'$name opens with every node known and no issues; its picture is kept',
			async ({ name, workflow }) => {
				const created = await n8n.createWorkflow(await withCredentials(workflow));
				await openWorkflow(page, n8n.baseUrl, created.id, workflow.nodes.length);

				expect(await canvasNodeFlags(page)).toEqual({ notInstalled: [], issues: {} });
				const picture = await screenshotCanvas(
					page,
					`template-${name}`,
					path.join(DOCS_IMAGES_DIR, `template-${name}.png`),
				);
				expect(statSync(picture).size).toBeLessThan(MAX_PICTURE_BYTES);
				for (const { name: nodeName } of workflow.nodes.filter(
					(candidate) => candidate.type !== 'n8n-nodes-base.stickyNote',
				)) {
					await openNode(page, nodeName);
					expect({ node: nodeName, warnings: await unknownNodeWarnings(page) }).toEqual({
						node: nodeName,
						warnings: [],
					});
					await closeNdv(page);
				}
			},
		);
	});
});
