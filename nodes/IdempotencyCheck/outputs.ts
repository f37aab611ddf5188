export type OutputName =
	| 'New'
	| 'Duplicate'
	| 'In Progress'
	| 'Dead Letter'
	| 'Mismatch'
	| 'Stale'
	| 'Completed'
	| 'Released'
	| 'Lost Claim'
	| 'Keys';

export interface OutputParameters {
	operation?: string;
	claimOptions?: {
		fingerprintFields?: string;
		onMismatch?: string;
		orderingEntity?: unknown;
		orderingVersion?: unknown;
	};
}

/**
 * Output names per operation: the editor evaluates this from the node's parameters (so it is
 * self-contained) and every operation finds its output indexes here by name.
 */
export const configuredOutputs = (
	parameters: OutputParameters,
): Array<{ type: 'main'; displayName: OutputName }> => {
	const operation = parameters.operation ?? 'claim';
	const named = (names: OutputName[]) =>
		names.map((displayName) => ({ type: 'main' as const, displayName }));
	if (operation === 'claim') {
		const options = parameters.claimOptions ?? {};
		// Some field named, as the claim's parsed list says (this function may import nothing).
		const mismatch =
			String(options.fingerprintFields ?? '').replace(/[\s,]/g, '') !== '' &&
			(options.onMismatch ?? 'output') === 'output';
		// Both ordering options added, whatever they hold: a blank one fails its items, never the guard.
		const ordered = options.orderingEntity !== undefined && options.orderingVersion !== undefined;
		return named([
			'New',
			'Duplicate',
			'In Progress',
			'Dead Letter',
			...(mismatch ? (['Mismatch'] as const) : []),
			...(ordered ? (['Stale'] as const) : []),
		]);
	}
	// Lost Claim comes last, so connections made before it existed keep their outputs.
	if (operation === 'release') return named(['Released', 'Dead Letter', 'Lost Claim']);
	if (operation === 'complete') return named(['Completed', 'Lost Claim']);
	return named(['Keys']);
};
