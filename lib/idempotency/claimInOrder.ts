import type {
	ClaimOptions,
	ClaimOutcome,
	ClaimRequest,
	IdempotencyStore,
	VersionRequest,
} from '../store/IdempotencyStore';

/** A claim with, when the ordering guard is on, the event's place in its entity's history. */
export type OrderedClaimRequest = ClaimRequest & { ordering?: VersionRequest };

/** An item older than its entity's newest completed version: not claimed. */
export interface StaleOutcome {
	status: 'stale';
	key: string;
	ordering: VersionRequest;
	latest: number;
}

/**
 * With the ordering guard: one read of the entities' newest completed versions, then one claim
 * of the items that are not older than theirs (an equal version is not stale: the key decides).
 * Answers one outcome per request, in order. Without any ordering it is one plain claim.
 */
export async function claimInOrder(
	store: IdempotencyStore,
	namespace: string,
	requests: OrderedClaimRequest[],
	options: ClaimOptions,
): Promise<Array<ClaimOutcome | StaleOutcome>> {
	const latest = await newestVersions(store, namespace, requests);
	const staleness = requests.map((request) => {
		if (!request.ordering) return undefined;
		const newest = latest.get(request.ordering.entity);
		return newest !== undefined && request.ordering.version < newest ? newest : undefined;
	});
	const claimable = requests.filter((_, index) => staleness[index] === undefined);
	const claimed = await store.claim(
		namespace,
		claimable.map(({ key, fingerprint, token }) => ({ key, fingerprint, token })),
		options,
	);
	let next = 0;
	return requests.map((request, index) => {
		const newest = staleness[index];
		if (newest === undefined) return claimed[next++];
		return { status: 'stale', key: request.key, ordering: request.ordering!, latest: newest };
	});
}

/** The newest completed version of each entity the requests name; none read when none is named. */
async function newestVersions(
	store: IdempotencyStore,
	namespace: string,
	requests: OrderedClaimRequest[],
): Promise<Map<string, number | undefined>> {
	const entities = [
		...new Set(requests.flatMap((request) => (request.ordering ? [request.ordering.entity] : []))),
	];
	const latest = new Map<string, number | undefined>();
	if (entities.length === 0) return latest;
	const versions = await store.readVersions(namespace, entities);
	entities.forEach((entity, index) => latest.set(entity, versions[index]));
	return latest;
}
