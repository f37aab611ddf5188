/** The one error type of the reconcile core; the node turns it into a NodeOperationError. */
export class ReconcileError extends Error {
	constructor(
		message: string,
		readonly reason: 'invalidOptions' | 'notAnObject' | 'misalignedInput',
	) {
		super(message);
		this.name = 'ReconcileError';
	}
}
