import type { IWebhookFunctions } from 'n8n-workflow';

import type { IdempotencyStore } from '../../lib/store/IdempotencyStore';
import { credentialCacheSeconds, ExpiringCache } from '../../lib/webhook/expiringCache';
import { signingSecretsFrom } from '../../lib/webhook/signingSecrets';
import { openStoreFor } from '../shared/storeDescription';

/**
 * Every `getCredentials()` in a webhook costs n8n an expression isolate (40-70 ms of CPU), more
 * than everything else a duplicate needs. Decrypted values are kept per process by credential id
 * for a short time (README: "Credential cache"); a changed or revoked secret is read again when it
 * expires. They live only in memory and are never logged.
 */
const ttlMs = credentialCacheSeconds(process.env.HYBRID_SYNC_CREDENTIAL_CACHE_SECONDS) * 1000;
const signingSecrets = new ExpiringCache<string[]>(ttlMs);
const stores = new ExpiringCache<IdempotencyStore>(ttlMs);

const STORE_CREDENTIAL: Record<string, string> = {
	redis: 'hybridSyncRedisApi',
	postgres: 'hybridSyncPostgresApi',
};

function credentialId(context: IWebhookFunctions, type: string): string | undefined {
	return context.getNode().credentials?.[type]?.id ?? undefined;
}

export async function cachedSigningSecrets(context: IWebhookFunctions): Promise<string[]> {
	const read = async () =>
		signingSecretsFrom(await context.getCredentials('webhookSigningSecretApi'));
	const id = credentialId(context, 'webhookSigningSecretApi');
	return id === undefined ? await read() : await signingSecrets.get(id, read);
}

export async function cachedStore(
	context: IWebhookFunctions,
	backend: string,
): Promise<IdempotencyStore> {
	const open = async () => await openStoreFor(context, backend);
	const credentialType = STORE_CREDENTIAL[backend];
	if (credentialType === undefined) return await open();
	const id = credentialId(context, credentialType);
	return id === undefined ? await open() : await stores.get(`${backend}:${id}`, open);
}
