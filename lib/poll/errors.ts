/**
 * The API answered something the Cursor Poll Trigger cannot read (no records array, a record
 * without its id or cursor) or the pagination settings cannot be applied to the answer. The node
 * turns it into a NodeApiError / NodeOperationError; the message names the path, record and value.
 */
export class PollResponseError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PollResponseError';
	}
}
