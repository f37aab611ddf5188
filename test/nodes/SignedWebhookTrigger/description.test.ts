import {
	type INodeParameters,
	type IWebhookDescription,
	resolveWebhookDescriptionField,
	webhookDescriptionIsNativelyResolvable,
} from 'n8n-workflow';

import { SignedWebhookTrigger } from '../../../nodes/SignedWebhookTrigger/SignedWebhookTrigger.node';

/**
 * n8n reads the webhook's response mode and data natively (no expression engine) from the
 * resolvers, and evaluates the templates when a parameter holds an expression: both must agree.
 */

const [webhook] = new SignedWebhookTrigger().description.webhooks as IWebhookDescription[];

/** What n8n's engine computes from a template `={{ ... }}` given `$parameter`. */
function evaluateTemplate(template: string, parameters: INodeParameters): unknown {
	const body = template.replace(/^=\{\{/, '').replace(/\}\}$/, '');
	return new Function('$parameter', `return (${body});`)(parameters) as unknown;
}

describe('Signed Webhook Trigger webhook description', () => {
	it.each([
		{ respondWhen: undefined, responseMode: 'onReceived', responseData: '' },
		{ respondWhen: 'onReceived', responseMode: 'onReceived', responseData: '' },
		{ respondWhen: 'whenFinished', responseMode: 'lastNode', responseData: 'noData' },
	])(
		'answers $responseMode / "$responseData" for Respond = $respondWhen, natively and by template alike',
		({ respondWhen, responseMode, responseData }) => {
			const parameters: INodeParameters = {
				path: 'payments',
				...(respondWhen ? { respondWhen } : {}),
			};
			const native = (field: string) =>
				resolveWebhookDescriptionField({ parameters }, webhook, field);
			expect([
				native('responseMode'),
				native('responseData'),
				evaluateTemplate(webhook.responseMode as string, parameters),
				evaluateTemplate(webhook.responseData as string, parameters),
			]).toEqual([
				{ resolved: true, value: responseMode },
				{ resolved: true, value: responseData },
				responseMode,
				responseData,
			]);
		},
	);

	it('needs no expression engine for any field', () => {
		expect(webhookDescriptionIsNativelyResolvable(webhook)).toBe(true);
	});
});
