import { claimInOrder } from '../../../lib/idempotency/claimInOrder';
import { useTemporaryEmbeddedStore } from '../../support/temporaryEmbeddedStore';

const NAMESPACE = 'events';
const LEASE = { leaseMs: 60_000 };
const RETENTION = { retentionMs: 86_400_000 };

const store = useTemporaryEmbeddedStore('claim-in-order-');

const statuses = (outcomes: Array<{ status: string }>) => outcomes.map(({ status }) => status);

describe('claimInOrder', () => {
	it('claims every request when none carries an ordering, and reads no versions', async () => {
		const readVersions = jest.spyOn(store(), 'readVersions');

		const outcomes = await claimInOrder(store(), NAMESPACE, [{ key: 'a' }, { key: 'b' }], LEASE);

		expect(statuses(outcomes)).toEqual(['claimed', 'claimed']);
		expect(readVersions).not.toHaveBeenCalled();
	});

	it('answers stale, with the newest version, for an event older than its entity has completed', async () => {
		await store().recordVersions(NAMESPACE, [{ entity: 'cus_1', version: 20 }], RETENTION);

		const outcomes = await claimInOrder(
			store(),
			NAMESPACE,
			[{ key: 'evt_old', ordering: { entity: 'cus_1', version: 10 } }],
			LEASE,
		);

		expect(outcomes).toEqual([
			{ status: 'stale', key: 'evt_old', ordering: { entity: 'cus_1', version: 10 }, latest: 20 },
		]);
		expect(await store().inspect(NAMESPACE, ['evt_old'])).toEqual([undefined]);
	});

	it('claims an event whose version equals the newest: the key decides', async () => {
		await store().recordVersions(NAMESPACE, [{ entity: 'cus_1', version: 20 }], RETENTION);

		const outcomes = await claimInOrder(
			store(),
			NAMESPACE,
			[{ key: 'evt_same', ordering: { entity: 'cus_1', version: 20 } }],
			LEASE,
		);

		expect(statuses(outcomes)).toEqual(['claimed']);
	});

	it('keeps the input order when stale and claimed requests alternate', async () => {
		await store().recordVersions(NAMESPACE, [{ entity: 'cus_1', version: 20 }], RETENTION);

		const outcomes = await claimInOrder(
			store(),
			NAMESPACE,
			[
				{ key: 'evt_1', ordering: { entity: 'cus_1', version: 5 } },
				{ key: 'evt_2', ordering: { entity: 'cus_2', version: 5 } },
				{ key: 'evt_3' },
				{ key: 'evt_4', ordering: { entity: 'cus_1', version: 30 } },
			],
			LEASE,
		);

		expect(outcomes.map(({ key, status }) => [key, status])).toEqual([
			['evt_1', 'stale'],
			['evt_2', 'claimed'],
			['evt_3', 'claimed'],
			['evt_4', 'claimed'],
		]);
	});

	it('reads each entity once however many requests name it', async () => {
		const readVersions = jest.spyOn(store(), 'readVersions');

		await claimInOrder(
			store(),
			NAMESPACE,
			[
				{ key: 'evt_1', ordering: { entity: 'cus_1', version: 1 } },
				{ key: 'evt_2', ordering: { entity: 'cus_1', version: 2 } },
			],
			LEASE,
		);

		expect(readVersions).toHaveBeenCalledWith(NAMESPACE, ['cus_1']);
	});

	it('passes the fingerprint on, so a changed payload under a claimed key is a mismatch', async () => {
		await claimInOrder(store(), NAMESPACE, [{ key: 'evt_1', fingerprint: 'sha256:one' }], LEASE);

		const outcomes = await claimInOrder(
			store(),
			NAMESPACE,
			[{ key: 'evt_1', fingerprint: 'sha256:two' }],
			LEASE,
		);

		expect(statuses(outcomes)).toEqual(['mismatch']);
	});
});
