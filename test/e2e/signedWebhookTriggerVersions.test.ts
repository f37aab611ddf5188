import { randomUUID } from 'node:crypto';

import { N8nInstance, nodeOutput, type CreatedWorkflow } from './harness';
import { stripeDelivery as signedStripe } from './stripeDelivery';

/**
 * Versions 2 and 3 of the Signed Webhook Trigger beside version 1, in an n8n that builds expression
 * isolates only when an expression is evaluated (N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true, the
 * setting versions 2 and 3 are made for): all verify, deduplicate (version 3 with its Dedup Window
 * at Receipt guarantee) and run alike; only the answer to a body that is not JSON differs (from
 * version 2 n8n parses it first).
 */

const SECRET = 'whsec_e2e_versions_secret';
const TRIGGER = 'Stripe Events';

const stripeDelivery = (body: string) => signedStripe(body, SECRET);

describe.each([
	{ typeVersion: 1, malformedStatus: 400, parameters: {} },
	{ typeVersion: 2, malformedStatus: 422, parameters: {} },
	{ typeVersion: 3, malformedStatus: 422, parameters: { guarantee: 'window' } },
])(
	'Signed Webhook Trigger version $typeVersion with lazy isolate acquisition',
	({ typeVersion, malformedStatus, parameters }) => {
		let n8n: N8nInstance;
		let workflow: CreatedWorkflow;
		const path = `e2e-version-${typeVersion}`;

		const post = async (request: RequestInit) => {
			const response = await fetch(n8n.webhookUrl(path), request);
			return { status: response.status, text: await response.text() };
		};

		beforeAll(async () => {
			n8n = await N8nInstance.start({ env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' } });
			const credential = await n8n.createCredential({
				name: 'Stripe secret',
				type: 'webhookSigningSecretApi',
				data: { secret: SECRET, previousSecrets: '' },
			});
			workflow = await n8n.createWorkflow(
				{
					name: `E2E version ${typeVersion}`,
					nodes: [
						{
							id: randomUUID(),
							name: TRIGGER,
							type: 'n8n-nodes-hybrid-sync.signedWebhookTrigger',
							typeVersion,
							position: [0, 0],
							webhookId: randomUUID(),
							parameters: { path, scheme: 'stripe', ...parameters },
							credentials: { webhookSigningSecretApi: { id: 'SECRET', name: credential.name } },
						},
					],
					connections: {},
				},
				{ SECRET: credential },
			);
			await n8n.activateWorkflow(workflow);
		});

		afterAll(async () => {
			await n8n?.stop();
		});

		it('runs a valid delivery once, answers its retry as a duplicate and refuses a forged one', async () => {
			const body = JSON.stringify({
				id: `evt_v${typeVersion}`,
				object: 'event',
				type: 'invoice.paid',
			});
			const first = await post(stripeDelivery(body));
			const retry = await post(stripeDelivery(body));
			const forged = await post({
				...stripeDelivery(body),
				body: body.replace('invoice', 'order'),
			});
			const malformed = await post(stripeDelivery('{"id": "evt_broken", '));

			expect(first).toEqual({
				status: 200,
				text: JSON.stringify({ received: true, id: `evt_v${typeVersion}` }),
			});
			expect(JSON.parse(retry.text)).toMatchObject({ received: true, duplicate: true });
			expect([forged.status, malformed.status]).toEqual([401, malformedStatus]);
			const [execution] = await n8n.waitForExecutions(workflow.id, 1);
			await new Promise((resolve) => setTimeout(resolve, 2000));
			expect(await n8n.listExecutions(workflow.id)).toHaveLength(1);
			expect(nodeOutput(await n8n.getExecution(execution.id), TRIGGER)[0]).toMatchObject({
				id: `evt_v${typeVersion}`,
				type: 'invoice.paid',
			});
		});
	},
);
