import type {
	CompleteOutcome,
	CompleteRequest,
	IdempotencyStore,
	VersionOutcome,
	VersionRequest,
} from '../store/IdempotencyStore';

/** A completion with, when the ordering guard is on, the version it raises its entity to. */
export type OrderedCompleteRequest = CompleteRequest & { ordering?: VersionRequest };

/** The completion, and with the guard on, what became of the entity's newest version. */
export type OrderedCompleteOutcome = CompleteOutcome & {
	ordering?: VersionOutcome & { version: number };
};

/**
 * Completes the keys, then raises the newest version of the entity of each request that carries
 * an ordering (kept as long as the key), except where the claim was lost: that run's event did
 * not complete the key, so it must not move its entity either. One outcome per request, in order.
 */
export async function completeInOrder(
	store: IdempotencyStore,
	namespace: string,
	requests: OrderedCompleteRequest[],
	options: { retentionMs: number },
): Promise<OrderedCompleteOutcome[]> {
	const completed: OrderedCompleteOutcome[] = await store.complete(
		namespace,
		requests.map(({ key, result, token }) => ({ key, result, token })),
		options,
	);
	const ordered = requests.flatMap(({ ordering }, index) =>
		ordering && completed[index].status !== 'lostClaim' ? [{ ordering, index }] : [],
	);
	if (ordered.length === 0) return completed;
	const raised = await store.recordVersions(
		namespace,
		ordered.map(({ ordering }) => ordering),
		options,
	);
	ordered.forEach(({ ordering, index }, n) => {
		completed[index] = {
			...completed[index],
			ordering: { ...raised[n], version: ordering.version },
		};
	});
	return completed;
}
