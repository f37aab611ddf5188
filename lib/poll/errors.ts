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

/**
 * A poll read only records already emitted and could not get past one cursor value: more records
 * share it than one poll can read (`maxPages`) or than one response holds (`response`: pagination
 * None or not followed, while the API holds later records). The message names the value, how many
 * records were seen sharing it, and the settings that fix it.
 */
export class StalledCursorError extends Error {
	constructor(
		readonly cursor: string,
		readonly sharing: number,
		readonly limit: 'maxPages' | 'response',
	) {
		const cause =
			limit === 'maxPages'
				? 'more records share it than Max Pages per Poll x page size holds'
				: 'the API answered only records already emitted while it holds later ones: more records share this value than one response holds';
		const fix =
			limit === 'maxPages'
				? 'raise Max Pages per Poll or the page size'
				: 'configure Pagination so the poll reads past them, or ask for a bigger page (a limit query parameter)';
		super(
			`The cursor cannot advance past ${cursor}: ${sharing} records seen sharing that value, and ${cause}. Fix: ${fix}, or set Tie-Break Query Parameter if the API accepts the last id (e.g. after_id).`,
		);
		this.name = 'StalledCursorError';
	}
}
