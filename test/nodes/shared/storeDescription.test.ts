import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import { storeProperties } from '../../../nodes/shared/storeDescription';

/** Nodes build their descriptions when n8n loads them: storeProperties() reads the environment then. */
function storePropertiesWith(
	env: Record<string, string>,
	displayOptions?: IDisplayOptions,
): INodeProperties[] {
	const saved = { ...process.env };
	Object.assign(process.env, env);
	try {
		return storeProperties(displayOptions);
	} finally {
		process.env = saved;
	}
}

const notice = (properties: INodeProperties[]) =>
	properties.find((property) => property.name === 'embeddedStoreQueueModeNotice');

describe('storeProperties', () => {
	it('offers only the Store choice when n8n runs executions in its main process', () => {
		const properties = storePropertiesWith({ EXECUTIONS_MODE: 'regular' });

		expect(properties.map((property) => property.name)).toEqual(['storeBackend']);
	});

	it("adds a notice under an Embedded choice in queue mode, keeping the caller's conditions", () => {
		const properties = storePropertiesWith(
			{ EXECUTIONS_MODE: 'queue', HYBRID_SYNC_EMBEDDED_STORE_SHARED: '' },
			{ show: { deduplicate: [true] } },
		);

		expect(notice(properties)).toMatchObject({
			type: 'notice',
			displayName: expect.stringContaining('EXECUTIONS_MODE=queue'),
			displayOptions: { show: { deduplicate: [true], storeBackend: ['embedded'] } },
		});
	});

	it('leaves the notice out once the operator says every process shares one file', () => {
		const properties = storePropertiesWith({
			EXECUTIONS_MODE: 'queue',
			HYBRID_SYNC_EMBEDDED_STORE_SHARED: 'true',
		});

		expect(notice(properties)).toBeUndefined();
	});
});
