import type { ICredentialType, INodeProperties } from 'n8n-workflow';

export class WebhookSigningSecretApi implements ICredentialType {
	name = 'webhookSigningSecretApi';

	displayName = 'Webhook Signing Secret API';

	documentationUrl =
		'https://github.com/n8n-nodes-hybrid-sync/n8n-nodes-hybrid-sync#signed-webhook-trigger';

	icon = 'file:signedWebhook.svg' as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The signing secret exactly as the sender shows it (Stripe and Standard Webhooks: the whole "whsec_..." value; SendGrid: the base64 verification public key)',
			hint: 'Running triggers keep the secret in memory for up to 60 seconds: a change or revocation takes effect within that time',
		},
		{
			displayName: 'Previous Secrets',
			name: 'previousSecrets',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'During a secret rotation: older secrets that are still accepted, separated by commas or spaces. Remove them once the sender only signs with the new secret.',
		},
	];
}
