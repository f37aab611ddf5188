import { type IWebhookFunctions, NodeOperationError, type WorkflowExecuteMode } from 'n8n-workflow';

import { readDeliveryParameters } from '../../../nodes/SignedWebhookTrigger/deliveryParameters';

/** The parameters a saved node holds; anything absent answers the caller's default, as n8n does. */
function fakeContext(
	parameters: Record<string, unknown>,
	mode: WorkflowExecuteMode = 'webhook',
	typeVersion = 2,
): IWebhookFunctions {
	return {
		getNodeParameter: (name: string, fallback?: unknown) =>
			name in parameters ? parameters[name] : fallback,
		getMode: () => mode,
		getWorkflow: () => ({ id: 'wf-1', active: true }),
		getNode: () => ({ id: 'node-1', name: 'Signed Webhook Trigger', typeVersion }),
	} as unknown as IWebhookFunctions;
}

const stripe = { path: 'payments', scheme: 'stripe' };

describe('readDeliveryParameters, version 3', () => {
	const version3 = (parameters: Record<string, unknown>, mode: WorkflowExecuteMode = 'webhook') =>
		readDeliveryParameters(fakeContext(parameters, mode, 3)).config;

	it('keeps and claims by default, in the namespace Idempotency Check is given, 5-minute lease, 3 attempts', () => {
		expect([version3(stripe).inbox, version3(stripe).dedup]).toEqual([
			{
				namespace: 'webhook:payments',
				path: 'payments',
				leaseMs: 300_000,
				maxAttempts: 3,
				deadLetterRetentionMs: 30 * 86_400_000,
				bounds: { retentionMs: 7 * 86_400_000, maxEntries: 100_000 },
				whileInProgress: 'conflict',
				idSource: undefined,
				fingerprintFields: [],
			},
			undefined,
		]);
	});

	it('reads Payload Fingerprint Fields as Idempotency Check does: by comma or line, blanks dropped', () => {
		const inbox = version3({
			...stripe,
			fingerprintFields: 'data.data.object.amount,\n data.data.object.currency, ,',
		}).inbox;
		expect(inbox?.fingerprintFields).toEqual([
			'data.data.object.amount',
			'data.data.object.currency',
		]);
	});

	it('reads Lease, Max Attempts, While In Progress, the namespace and the event id source', () => {
		const inbox = version3({
			...stripe,
			leaseMinutes: 0.5,
			maxAttempts: 5,
			whileInProgress: 'acknowledge',
			eventIdFrom: 'bodyPath',
			eventIdBodyPath: 'data.object.id',
			deliveryOptions: { dedupNamespace: 'stripe-events' },
		}).inbox;
		expect(inbox).toMatchObject({
			namespace: 'stripe-events',
			leaseMs: 30_000,
			maxAttempts: 5,
			whileInProgress: 'acknowledge',
			idSource: { bodyPath: 'data.object.id' },
		});
	});

	it("keeps today's dedup window at receipt as an option", () => {
		const config = version3({ ...stripe, guarantee: 'window', dedupWindowHours: 2 });
		expect([config.dedup, config.inbox]).toEqual([
			{ namespace: 'webhook:payments', windowMs: 7_200_000, idSource: undefined },
			undefined,
		]);
	});

	it('neither keeps nor deduplicates when the guarantee is Off, nor for the editor test URL', () => {
		const off = version3({ ...stripe, guarantee: 'off' });
		const manual = version3(stripe, 'manual');
		expect([off.dedup, off.inbox, manual.dedup, manual.inbox]).toEqual([
			undefined,
			undefined,
			undefined,
			undefined,
		]);
	});

	it('ignores a Deduplicate Deliveries value left from version 2', () => {
		expect(version3({ ...stripe, deduplicate: false }).inbox).toBeDefined();
	});
});

describe('readDeliveryParameters', () => {
	it('deduplicates production deliveries under the path, for 24 hours by default', () => {
		const { config } = readDeliveryParameters(fakeContext(stripe));
		expect(config.dedup).toEqual({
			namespace: 'webhook:payments',
			windowMs: 86_400_000,
			idSource: undefined,
		});
	});

	it('records nothing for deliveries to the editor test URL (manual mode)', () => {
		const { config } = readDeliveryParameters(fakeContext(stripe, 'manual'));
		expect(config.dedup).toBeUndefined();
	});

	it('applies the tolerance to SendGrid unless Check Timestamp Age is off', () => {
		const sendgrid = { path: 'mail', scheme: 'sendgrid', toleranceSeconds: 120 };
		const checked = readDeliveryParameters(fakeContext(sendgrid)).config;
		const unchecked = readDeliveryParameters(
			fakeContext({ ...sendgrid, checkTimestamp: false }),
		).config;
		expect([checked.toleranceSeconds, unchecked.toleranceSeconds]).toEqual([120, Infinity]);
	});

	it('ignores Check Timestamp Age for every other scheme', () => {
		const { config } = readDeliveryParameters(fakeContext({ ...stripe, checkTimestamp: false }));
		expect(config.toleranceSeconds).toBe(300);
	});

	it('builds a batched Custom HMAC scheme whose events are deduplicated by a field in each', () => {
		const { config } = readDeliveryParameters(
			fakeContext({
				path: 'custom',
				scheme: 'customHmac',
				signatureHeader: 'X-Sig',
				algorithm: 'sha256',
				encoding: 'hex',
				batchedDeliveries: true,
				eventsArrayPath: ' data.events ',
				eventIdFrom: 'bodyPath',
				eventIdBodyPath: 'uid',
			}),
		);
		expect([config.scheme.name, config.scheme.batch, config.dedup?.idSource]).toEqual([
			'customHmac',
			{ arrayPath: 'data.events' },
			{ bodyPath: 'uid' },
		]);
	});

	it('keeps a Custom HMAC delivery one event unless Batched Deliveries is on', () => {
		const { config } = readDeliveryParameters(
			fakeContext({
				path: 'custom',
				scheme: 'customHmac',
				signatureHeader: 'X-Sig',
				eventsArrayPath: 'events',
			}),
		);
		expect(config.scheme.batch).toBeUndefined();
	});

	it('reads the public URL only for schemes that sign the URL', () => {
		const publicUrl = ' https://automation.example.com/webhook/hubspot ';
		const hubspot = readDeliveryParameters(
			fakeContext({ path: 'h', scheme: 'hubspot', publicUrl }),
		);
		const github = readDeliveryParameters(fakeContext({ path: 'g', scheme: 'github', publicUrl }));
		expect([hubspot.publicUrl, github.publicUrl]).toEqual([
			'https://automation.example.com/webhook/hubspot',
			'',
		]);
	});

	it('turns an unreadable IP allowlist into a node error that says how to write one', () => {
		const context = fakeContext({ ...stripe, deliveryOptions: { ipAllowlist: '10.0.0.0/99' } });
		expect(() => readDeliveryParameters(context)).toThrow(NodeOperationError);
		expect(() => readDeliveryParameters(context)).toThrow(
			'"10.0.0.0/99" in the IP allowlist has an invalid prefix length',
		);
	});

	it('refuses an unknown scheme', () => {
		expect(() =>
			readDeliveryParameters(fakeContext({ path: 'x', scheme: 'carrierPigeon' })),
		).toThrow('Unknown signature scheme "carrierPigeon"');
	});
});
