import { completeInOrder } from '../../../lib/idempotency/completeInOrder';
import { useTemporaryEmbeddedStore } from '../../support/temporaryEmbeddedStore';

const NAMESPACE = 'events';
const RETENTION = { retentionMs: 86_400_000 };

const store = useTemporaryEmbeddedStore('complete-in-order-');

beforeEach(async () => {
	await store().claim(NAMESPACE, [{ key: 'evt_1' }, { key: 'evt_2' }], { leaseMs: 60_000 });
});

describe('completeInOrder', () => {
	it('completes the keys and raises no version when no request carries an ordering', async () => {
		const recordVersions = jest.spyOn(store(), 'recordVersions');

		const outcomes = await completeInOrder(store(), NAMESPACE, [{ key: 'evt_1' }], RETENTION);

		expect(outcomes).toEqual([expect.objectContaining({ key: 'evt_1', status: 'completed' })]);
		expect(outcomes[0]).not.toHaveProperty('ordering');
		expect(recordVersions).not.toHaveBeenCalled();
	});

	it("adds to each outcome what became of its entity's version, with the version it asked for", async () => {
		const outcomes = await completeInOrder(
			store(),
			NAMESPACE,
			[
				{ key: 'evt_1', ordering: { entity: 'cus_1', version: 30 } },
				{ key: 'evt_2', ordering: { entity: 'cus_1', version: 10 } },
			],
			RETENTION,
		);

		expect(outcomes.map(({ key, status, ordering }) => ({ key, status, ordering }))).toEqual([
			{
				key: 'evt_1',
				status: 'completed',
				ordering: { entity: 'cus_1', version: 30, applied: true, latest: 30 },
			},
			{
				key: 'evt_2',
				status: 'completed',
				ordering: { entity: 'cus_1', version: 10, applied: false, latest: 30 },
			},
		]);
		expect(await store().readVersions(NAMESPACE, ['cus_1'])).toEqual([30]);
	});

	it('raises versions only for the requests that carry one, keeping the order', async () => {
		const outcomes = await completeInOrder(
			store(),
			NAMESPACE,
			[{ key: 'evt_1' }, { key: 'evt_2', ordering: { entity: 'cus_2', version: 7 } }],
			RETENTION,
		);

		expect(outcomes[0]).not.toHaveProperty('ordering');
		expect(outcomes[1]).toMatchObject({
			key: 'evt_2',
			ordering: { entity: 'cus_2', version: 7, applied: true, latest: 7 },
		});
	});
});
