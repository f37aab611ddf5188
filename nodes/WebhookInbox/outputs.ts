export type OutputName =
	| 'Recovered'
	| 'Dead Letter'
	| 'Redriven'
	| 'Requeued'
	| 'Skipped'
	| 'Deliveries'
	| 'Purged'
	| 'Rejected'
	| 'Stats';

export interface OutputParameters {
	resource?: string;
	operation?: string;
}

/**
 * Output names per operation: the editor evaluates this from the node's parameters (so it is
 * self-contained) and every operation finds its output indexes here by name.
 */
export const configuredOutputs = (
	parameters: OutputParameters,
): Array<{ type: 'main'; displayName: OutputName }> => {
	const named = (names: OutputName[]) =>
		names.map((displayName) => ({ type: 'main' as const, displayName }));
	const resource = parameters.resource ?? 'delivery';
	if (resource === 'rejectedDelivery') return named(['Rejected']);
	if (resource === 'health') return named(['Stats']);
	const operation = parameters.operation ?? 'recoverStuck';
	if (operation === 'recoverStuck') return named(['Recovered', 'Dead Letter']);
	if (operation === 'redrive') return named(['Redriven', 'Skipped']);
	if (operation === 'requeueDeadLetters') return named(['Requeued', 'Skipped']);
	if (operation === 'purge') return named(['Purged']);
	return named(['Deliveries']);
};
