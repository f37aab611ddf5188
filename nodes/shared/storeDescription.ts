import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialsDisplayOptions,
	ICredentialTestFunctions,
	IDisplayOptions,
	IExecuteFunctions,
	INodeCredentialTestResult,
	INodeProperties,
	ITriggerFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';

import type { IdempotencyStore } from '../../lib/store/IdempotencyStore';
import { openStore } from '../../lib/store/openStore';
import { PostgresStore, type PostgresStoreOptions } from '../../lib/store/PostgresStore';
import { embeddedStoreWarningForThisProcess } from '../../lib/store/queueModeWarning';
import { RedisStore, type RedisStoreOptions } from '../../lib/store/RedisStore';

/** The store choice every node of this package offers, so all of them can share keys. */
export function storeProperties(displayOptions?: IDisplayOptions): INodeProperties[] {
	return [
		{
			displayName: 'Store',
			name: 'storeBackend',
			type: 'options',
			options: [
				{
					name: 'Embedded (This N8n Instance)',
					value: 'embedded',
					description:
						"A file next to n8n's own data: no setup, survives restarts, atomic within one n8n instance. Queue mode with several workers or webhook processors needs Redis or PostgreSQL.",
				},
				{
					name: 'Redis',
					value: 'redis',
					description: 'Shared by every n8n process: atomic claims with native expiry',
				},
				{
					name: 'PostgreSQL',
					value: 'postgres',
					description: 'Shared by every n8n process; can be the database n8n itself uses',
				},
			],
			default: 'embedded',
			description:
				'Where keys are recorded. Nodes and workflows that use the same store see the same keys.',
			...(displayOptions ? { displayOptions } : {}),
		},
		...embeddedStoreNotice(displayOptions),
	];
}

/**
 * Under the Store choice when it is Embedded and this n8n runs in queue mode: descriptions are
 * built when n8n loads the node, in the process (main) that serves them to the editor.
 */
function embeddedStoreNotice(displayOptions?: IDisplayOptions): INodeProperties[] {
	const warning = embeddedStoreWarningForThisProcess();
	if (warning === undefined) return [];
	return [
		{
			displayName: warning,
			name: 'embeddedStoreQueueModeNotice',
			type: 'notice',
			default: '',
			displayOptions: {
				...displayOptions,
				show: { ...displayOptions?.show, storeBackend: ['embedded'] },
			},
		},
	];
}

/**
 * Show conditions for the store credentials. Each node lists the two credentials itself, literally,
 * with `testedBy: 'testRedisStore'` / `'testPostgresStore'` and `methods.credentialTest` set to
 * `storeCredentialTests` (n8n's lint reads node files to find credential tests).
 */
export const onlyForRedisStore: ICredentialsDisplayOptions = { show: { storeBackend: ['redis'] } };
export const onlyForPostgresStore: ICredentialsDisplayOptions = {
	show: { storeBackend: ['postgres'] },
};

function redisOptions(data: ICredentialDataDecryptedObject): RedisStoreOptions {
	return {
		host: String(data.host ?? 'localhost'),
		port: Number(data.port ?? 6379),
		db: Number(data.database ?? 0),
		username: (data.user as string) || undefined,
		password: (data.password as string) || undefined,
		tls: data.ssl === true,
		keyPrefix: (data.keyPrefix as string | undefined) ?? undefined,
	};
}

function postgresOptions(data: ICredentialDataDecryptedObject): PostgresStoreOptions {
	return {
		host: String(data.host ?? 'localhost'),
		port: Number(data.port ?? 5432),
		database: String(data.database ?? ''),
		user: String(data.user ?? ''),
		password: (data.password as string) || undefined,
		ssl: data.ssl === true,
		schema: (data.schema as string) || undefined,
		table: (data.table as string) || undefined,
	};
}

/** The shared store chosen on the node (read from the node's first item for execute nodes). */
export async function openStoreFor(
	context: IExecuteFunctions | IWebhookFunctions | ITriggerFunctions,
	backend: string,
): Promise<IdempotencyStore> {
	if (backend === 'redis')
		return openStore({
			backend: 'redis',
			...redisOptions(await context.getCredentials('hybridSyncRedisApi')),
		});
	if (backend === 'postgres') {
		return openStore({
			backend: 'postgres',
			...postgresOptions(await context.getCredentials('hybridSyncPostgresApi')),
		});
	}
	warnOnceAboutEmbeddedStoreInQueueMode(context);
	return openStore({ backend: 'embedded' }, context.logger);
}

let warnedAboutEmbeddedStore = false;

/** Once per process, in n8n's log: the embedded store under queue mode dedups per process only. */
function warnOnceAboutEmbeddedStoreInQueueMode(
	context: IExecuteFunctions | IWebhookFunctions | ITriggerFunctions,
): void {
	if (warnedAboutEmbeddedStore) return;
	const warning = embeddedStoreWarningForThisProcess();
	if (warning === undefined) return;
	warnedAboutEmbeddedStore = true;
	context.logger.warn(warning, {
		workflowId: context.getWorkflow().id,
		node: context.getNode().name,
	});
}

/** A real round trip (create the table or load the script, read one key), then disconnect. */
async function testConnection(store: IdempotencyStore): Promise<INodeCredentialTestResult> {
	try {
		await store.inspect('connection-test', ['connection-test']);
		return { status: 'OK', message: `Connected: ${store.description}` };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	} finally {
		await store.close().catch(() => undefined);
	}
}

export const storeCredentialTests = {
	async testRedisStore(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		return await testConnection(new RedisStore(redisOptions(credential.data ?? {})));
	},
	async testPostgresStore(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		return await testConnection(new PostgresStore(postgresOptions(credential.data ?? {})));
	},
};
