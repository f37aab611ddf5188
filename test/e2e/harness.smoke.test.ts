import { N8nInstance, nodeOutput, type WorkflowDefinition } from './harness';

const SMOKE_PATH = 'smoke';

const webhookOnly: WorkflowDefinition = {
	name: 'Harness smoke',
	nodes: [
		{
			id: '3f0c2a9e-5d1b-4c47-9a51-0d6f1c2b7e01',
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: '3f0c2a9e-5d1b-4c47-9a51-0d6f1c2b7e02',
			parameters: { httpMethod: 'POST', path: SMOKE_PATH, responseMode: 'onReceived', options: {} },
		},
	],
	connections: {},
};

async function postJson(url: string, body: unknown): Promise<Response> {
	return await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
}

describe('e2e harness against a real n8n', () => {
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await N8nInstance.start({ installPackage: false });
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	let workflowId: string;

	it('runs a published webhook workflow once per request, with the posted body', async () => {
		const workflow = await n8n.createWorkflow(webhookOnly);
		workflowId = workflow.id;
		await n8n.activateWorkflow(workflow);

		const body = { event: 'smoke', attempt: 1 };
		const response = await postJson(n8n.webhookUrl(SMOKE_PATH), body);
		expect(response.status).toBe(200);

		const [execution] = await n8n.waitForExecutions(workflowId, 1);
		expect(await n8n.listExecutions(workflowId)).toHaveLength(1);
		expect(execution.status).toBe('success');
		const [item] = nodeOutput(await n8n.getExecution(execution.id), 'Webhook');
		expect(item.body).toEqual(body);
	});

	it('keeps the workflow published and the owner logged in across a restart', async () => {
		await n8n.restart();

		expect(await n8n.isActive(workflowId)).toBe(true);
		const response = await postJson(n8n.webhookUrl(SMOKE_PATH), { event: 'smoke', attempt: 2 });
		expect(response.status).toBe(200);
		const executions = await n8n.waitForExecutions(workflowId, 2);
		expect(executions.map((e) => e.status)).toEqual(['success', 'success']);
	});

	it('wires a created credential into a workflow by its placeholder id', async () => {
		const credential = await n8n.createCredential({
			name: 'Smoke header auth',
			type: 'httpHeaderAuth',
			data: { name: 'X-Api-Key', value: 'smoke-secret' },
		});
		const [webhook] = webhookOnly.nodes;
		const workflow = await n8n.createWorkflow(
			{
				name: 'Harness smoke with credential',
				nodes: [
					{
						...webhook,
						parameters: { ...webhook.parameters, path: 'smoke-auth', authentication: 'headerAuth' },
						credentials: { httpHeaderAuth: { id: 'SMOKE_HEADER_AUTH', name: 'placeholder' } },
					},
				],
				connections: {},
			},
			{ SMOKE_HEADER_AUTH: credential },
		);

		expect(workflow.nodes[0].credentials).toEqual({
			httpHeaderAuth: { id: credential.id, name: credential.name },
		});
	});
});
