import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { chromium, selectors, type BrowserContext, type Page } from 'playwright-core';

import { importScript } from '../support/importScript';

/**
 * The n8n editor driven through its own `data-test-id` attributes (the ones n8n's Playwright
 * suite uses), read off n8n 2.41.1's editor. Each function does one thing a user does and waits
 * until the editor shows its result.
 */

export const SCREENSHOT_DIR = path.resolve(__dirname, '../../test-artifacts/editor');
const VIEWPORT = { width: 1440, height: 1200 };
const ACTION_TIMEOUT_MS = 15_000;
// Without the background-networking flags Chromium keeps dialling Google's hosts, which this
// machine's closed network refuses.
const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];
/** What n8n's parameter panel says for a node type it does not know (NodeSettings.vue). */
const UNKNOWN_NODE_MESSAGES = [
	'Install this node to use it',
	'This node is not currently installed',
	'Detailed node info is not available',
	'is unknown',
];

selectors.setTestIdAttribute('data-test-id');

export interface EditorBrowser {
	page: Page;
	close(): Promise<void>;
}

export interface AddedNode {
	/** The node's name on the canvas. */
	name: string;
	/** The node type the editor put on the canvas, e.g. `n8n-nodes-hybrid-sync.signedWebhookTrigger`. */
	type: string;
}

async function ensureChromium(): Promise<string> {
	const module = await importScript<{ ensureChromium(): Promise<string> }>('ensure-chromium.mjs');
	return await module.ensureChromium();
}

/** Headless Debian Chromium with a fresh profile, deleted again on close. */
export async function launchEditorBrowser(): Promise<EditorBrowser> {
	const executablePath = await ensureChromium();
	const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'n8n-editor-chromium-'));
	let context: BrowserContext;
	try {
		context = await chromium.launchPersistentContext(userDataDir, {
			executablePath,
			args: CHROMIUM_ARGS,
			viewport: VIEWPORT,
		});
	} catch (error) {
		rmSync(userDataDir, { recursive: true, force: true });
		throw error;
	}
	context.setDefaultTimeout(ACTION_TIMEOUT_MS);
	const page = context.pages()[0] ?? (await context.newPage());
	// Leaving a workflow with unsaved changes asks first; the tests open one workflow after another.
	page.on(
		'dialog',
		(dialog) => void (dialog.type() === 'beforeunload' ? dialog.accept() : dialog.dismiss()),
	);
	return {
		page,
		close: async () => {
			await context.close();
			rmSync(userDataDir, { recursive: true, force: true });
		},
	};
}

/** Signs in through the sign-in form and waits until the editor has left it. */
export async function signIn(
	page: Page,
	baseUrl: string,
	user: { email: string; password: string },
): Promise<void> {
	await page.goto(`${baseUrl}/signin`);
	await page.getByTestId('emailOrLdapLoginId').locator('input').fill(user.email);
	await page.getByTestId('password').locator('input').fill(user.password);
	await page.getByTestId('form-submit-button').click();
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

/** Opens an empty, unsaved workflow on the canvas. */
export async function openNewWorkflow(page: Page, baseUrl: string): Promise<void> {
	await page.goto(`${baseUrl}/workflow/new`);
	await page.getByTestId('canvas').waitFor();
}

/**
 * Opens the nodes panel, searches `searchText`, picks the result named `nodeDisplayName` (and, for
 * a node with operations, its `action`, e.g. "Claim keys before processing") and waits for its
 * parameter panel (NDV). A community node first shows its details card; its "Add to workflow"
 * button is what puts it on the canvas.
 */
export async function addNodeFromPanel(
	page: Page,
	searchText: string,
	nodeDisplayName: string,
	action?: string,
): Promise<AddedNode> {
	await page.getByTestId('node-creator-plus-button').click();
	const nodeCreator = page.getByTestId('node-creator');
	await nodeCreator.getByTestId('node-creator-search-bar').fill(searchText);
	await pickPanelItem(page, nodeDisplayName, `for the search "${searchText}"`);
	if (action) await pickPanelItem(page, action, `among the actions of "${nodeDisplayName}"`);

	const ndv = page.getByTestId('ndv');
	const addToWorkflow = nodeCreator.getByRole('button', { name: 'Add to workflow' });
	await addToWorkflow.or(ndv).first().waitFor();
	if (await addToWorkflow.isVisible()) await addToWorkflow.click();
	await ndv.getByTestId('node-parameters').waitFor();

	const name = await ndv
		.getByTestId('node-title-container')
		.locator('[title]')
		.first()
		.getAttribute('title');
	if (!name)
		throw new Error(`The parameter panel opened for "${nodeDisplayName}" shows no node name`);
	const type = await page
		.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`)
		.getAttribute('data-node-type');
	if (!type) throw new Error(`The canvas node "${name}" carries no node type`);
	return { name, type };
}

/** Clicks the entry of the nodes panel named `itemName`: a node, or one of a node's actions. */
async function pickPanelItem(page: Page, itemName: string, where: string): Promise<void> {
	const items = page.getByTestId('node-creator').getByTestId('item-iterator-item');
	const item = items.filter({
		has: page.getByTestId('node-creator-item-name').getByText(itemName, { exact: true }),
	});
	try {
		await item.waitFor();
	} catch {
		const shown = await items.getByTestId('node-creator-item-name').allTextContents();
		throw new Error(
			`The nodes panel shows no "${itemName}" ${where} (it shows: ${JSON.stringify(shown)}). ` +
				'Is dist/ built (npm run build) and does package.json list the node?',
		);
	}
	await item.click();
}

/** Closes the open parameter panel. */
export async function closeNdv(page: Page): Promise<void> {
	await page.getByTestId('ndv-close-button').click();
	await page.getByTestId('ndv').waitFor({ state: 'hidden' });
}

/** The parameters the open panel shows, as parameter name → label, e.g. `{ path: 'Path' }`. */
export async function visibleParameters(page: Page): Promise<Record<string, string>> {
	const labels = await page
		.getByTestId('ndv')
		.getByTestId('node-parameters')
		.locator('label[for]')
		.filter({ visible: true })
		.all();
	const entries = await Promise.all(
		labels.map(async (label) => [
			(await label.getAttribute('for')) ?? '',
			((await label.locator('span').first().textContent()) ?? '').trim(),
		]),
	);
	return Object.fromEntries(entries);
}

/** Messages n8n shows in the open panel when it does not know the node type; none for a loaded node. */
export async function unknownNodeWarnings(page: Page): Promise<string[]> {
	const text = await page.getByTestId('ndv').innerText();
	const installButtons = await page.getByTestId('install-community-node-button').count();
	return [
		...UNKNOWN_NODE_MESSAGES.filter((message) => text.includes(message)),
		...(installButtons > 0 ? ['an "Install" community node button'] : []),
	];
}

/** The option an options-type parameter shows as selected. */
export async function parameterValue(page: Page, parameterName: string): Promise<string> {
	return await page
		.getByTestId(`parameter-input-${parameterName}`)
		.locator('input')
		.first()
		.inputValue();
}

/** Picks `optionName` in an options-type parameter's dropdown and waits until the field shows it. */
export async function selectParameterOption(
	page: Page,
	parameterName: string,
	optionName: string,
): Promise<void> {
	await page.getByTestId(`parameter-input-${parameterName}`).locator('input').first().click();
	await page
		.getByRole('option')
		.filter({ has: page.getByText(optionName, { exact: true }) })
		.click();
	const deadline = Date.now() + ACTION_TIMEOUT_MS;
	while ((await parameterValue(page, parameterName)) !== optionName) {
		if (Date.now() > deadline) {
			throw new Error(
				`"${parameterName}" still shows "${await parameterValue(page, parameterName)}" after picking "${optionName}"`,
			);
		}
		await page.waitForTimeout(100);
	}
}

/** Saves a screenshot of the page as test-artifacts/editor/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	const file = path.join(SCREENSHOT_DIR, `${name}.png`);
	await page.screenshot({ path: file });
	return file;
}

/**
 * Opens a saved workflow, waits until its `nodeCount` nodes (sticky notes included) are drawn,
 * fits them into view and waits until the view stops moving.
 */
export async function openWorkflow(
	page: Page,
	baseUrl: string,
	workflowId: string,
	nodeCount: number,
): Promise<void> {
	await page.goto(`${baseUrl}/workflow/${workflowId}`);
	const nodes = page.locator('.vue-flow__node');
	const deadline = Date.now() + ACTION_TIMEOUT_MS;
	while ((await nodes.count()) < nodeCount) {
		if (Date.now() > deadline) {
			throw new Error(
				`Workflow ${workflowId} shows ${await nodes.count()} of its ${nodeCount} nodes`,
			);
		}
		await page.waitForTimeout(100);
	}
	await zoomToFit(page);
}

/** Fits every node into view, as the canvas's "zoom to fit" button does, and waits until it settles. */
export async function zoomToFit(page: Page): Promise<void> {
	await page.getByTestId('zoom-to-fit').click();
	await waitUntilViewSettles(page);
}

/** Waits until the canvas viewport's transform (pan and zoom) is the same on two reads in a row. */
async function waitUntilViewSettles(page: Page): Promise<void> {
	const viewport = page.locator('.vue-flow__viewport');
	let previous = '';
	const deadline = Date.now() + ACTION_TIMEOUT_MS;
	for (;;) {
		await page.waitForTimeout(200);
		const transform = (await viewport.getAttribute('style')) ?? '';
		if (transform === previous) return;
		if (Date.now() > deadline) throw new Error('The canvas view kept moving');
		previous = transform;
	}
}

/**
 * What the canvas flags on its nodes, by node name: a node type n8n does not have installed, and
 * issues (a required parameter or credential not set, an invalid value) with the texts their
 * tooltips list, e.g. `{ 'Create Fulfilment': 'Issues Parameter "URL" is required.' }`.
 */
export async function canvasNodeFlags(
	page: Page,
): Promise<{ notInstalled: string[]; issues: Record<string, string> }> {
	const flagged = (testId: string) =>
		page.getByTestId('canvas-node').filter({ has: page.getByTestId(testId) });
	const names = async (testId: string) =>
		await Promise.all(
			(await flagged(testId).all()).map(
				async (node) => (await node.getAttribute('data-node-name')) ?? '?',
			),
		);
	const issues: Record<string, string> = {};
	for (const node of await flagged('node-issues').all()) {
		const icon = node.getByTestId('node-issues').locator('span').first();
		await icon.hover();
		// The tooltip opens on pointer movement over the icon, not on the hover's arrival alone.
		const box = await icon.boundingBox();
		if (box) await page.mouse.move(box.x + 3, box.y + 3, { steps: 5 });
		const tooltip = page
			.locator('[data-state="delayed-open"], [data-state="instant-open"]')
			.filter({ hasText: 'Issues' })
			.last();
		await tooltip.waitFor();
		issues[(await node.getAttribute('data-node-name')) ?? '?'] = (await tooltip.innerText())
			.replace(/\s+/g, ' ')
			.trim();
		await page.mouse.move(0, 0);
		await tooltip.waitFor({ state: 'hidden' });
	}
	return { notInstalled: await names('node-not-installed'), issues };
}

/** Opens a canvas node's parameter panel by double-clicking it. */
export async function openNode(page: Page, nodeName: string): Promise<void> {
	await page.locator(`[data-test-id="canvas-node"][data-node-name="${nodeName}"]`).dblclick();
	await page.getByTestId('ndv').waitFor();
}

/** The names drawn beside a canvas node's output handles, in output order. */
export async function canvasNodeOutputs(page: Page, nodeName: string): Promise<string[]> {
	const handles = await page
		.locator(`[data-test-id="canvas-node-output-handle"][data-node-name="${nodeName}"]`)
		.all();
	const outputs = await Promise.all(
		handles.map(async (handle) => ({
			index: Number(await handle.getAttribute('data-index')),
			name: (await handle.innerText()).trim(),
		})),
	);
	return outputs.sort((a, b) => a.index - b.index).map(({ name }) => name);
}

/**
 * Saves the canvas alone (no side bars) as test-artifacts/editor/<name>.png, and a copy at
 * `copyTo` when given; returns the artifact's path.
 */
export async function screenshotCanvas(page: Page, name: string, copyTo?: string): Promise<string> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	const file = path.join(SCREENSHOT_DIR, `${name}.png`);
	await page.getByTestId('canvas').screenshot({ path: file });
	if (copyTo) {
		mkdirSync(path.dirname(copyTo), { recursive: true });
		copyFileSync(file, copyTo);
	}
	return file;
}
