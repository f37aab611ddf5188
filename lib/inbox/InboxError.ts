/** The one error type of the inbox core; the node turns it into a NodeOperationError. */
export class InboxError extends Error {
	constructor(
		message: string,
		readonly reason: 'invalidWindow' | 'invalidOptions',
	) {
		super(message);
		this.name = 'InboxError';
	}
}
