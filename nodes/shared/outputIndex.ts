/**
 * The outputs a node's `configuredOutputs` names for the parameters at hand, looked up by name:
 * the editor and `execute` then count outputs in one place only, as n8n's Webhook node derives
 * its output indexes from the function that names its outputs.
 */
export function outputsByName<Name extends string>(outputs: ReadonlyArray<{ displayName: Name }>) {
	return {
		count: outputs.length,
		/** The index of the output called `name`; an output these parameters do not show is a bug. */
		index(name: Name): number {
			const index = outputs.findIndex((output) => output.displayName === name);
			if (index === -1) {
				throw new Error(
					`No output "${name}" among ${outputs.map((output) => output.displayName).join(', ')}`,
				);
			}
			return index;
		},
	};
}
