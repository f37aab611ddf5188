import {
	EMBEDDED_STORE_SHARED_ENV,
	embeddedStoreQueueModeWarning,
} from '../../../lib/store/queueModeWarning';

const STORE_PATH = '/data/n8n/.n8n/hybrid-sync/store.sqlite';

describe('embeddedStoreQueueModeWarning', () => {
	it('says nothing when n8n runs its executions in the main process', () => {
		expect(embeddedStoreQueueModeWarning({}, STORE_PATH)).toBeUndefined();
		expect(
			embeddedStoreQueueModeWarning({ EXECUTIONS_MODE: 'regular' }, STORE_PATH),
		).toBeUndefined();
	});

	it('warns under queue mode, naming the file, the reason and the fix', () => {
		const warning = embeddedStoreQueueModeWarning({ EXECUTIONS_MODE: 'queue' }, STORE_PATH);

		expect(warning).toContain(STORE_PATH);
		expect(warning).toContain('EXECUTIONS_MODE=queue');
		expect(warning).toMatch(/not recognised and runs again/);
		expect(warning).toContain('Redis or PostgreSQL');
		expect(warning).toContain(`${EMBEDDED_STORE_SHARED_ENV}=true`);
	});

	it('is silenced by the operator saying every process shares this file', () => {
		const env = { EXECUTIONS_MODE: 'queue', [EMBEDDED_STORE_SHARED_ENV]: 'true' };

		expect(embeddedStoreQueueModeWarning(env, STORE_PATH)).toBeUndefined();
	});

	it('takes only "true" as that word', () => {
		for (const value of ['1', 'yes', 'TRUE', '']) {
			const env = { EXECUTIONS_MODE: 'queue', [EMBEDDED_STORE_SHARED_ENV]: value };
			expect(embeddedStoreQueueModeWarning(env, STORE_PATH)).toBeDefined();
		}
	});
});
