const FIELD_REFERENCE =
	/^=\{\{\s*\$json((?:\.[A-Za-z_$][\w$]*|\[(?:'[^'\\]*'|"[^"\\]*"|\d+)\])+)\s*\}\}$/;
const SEGMENT = /\.([A-Za-z_$][\w$]*)|\[(?:'([^'\\]*)'|"([^"\\]*)"|(\d+))\]/g;

/** The last expression parsed and its answer. */
let lastParsed: { expression?: string; path?: readonly string[] } = {};

/**
 * An n8n expression that does nothing but read a field of the current item, such as
 * `={{ $json.id }}`, `={{ $json.order.id }}` or `={{ $json["event-id"] }}`: its field path, so the
 * field can be read from the item directly instead of through n8n's expression sandbox (which
 * costs far more per item than the read itself). Anything else answers undefined.
 */
export function fieldReferencePath(expression: unknown): readonly string[] | undefined {
	if (typeof expression !== 'string') return undefined;
	// Nodes ask once per item with the same parameter: parse it once.
	if (expression !== lastParsed.expression) {
		const match = FIELD_REFERENCE.exec(expression);
		lastParsed = {
			expression,
			path: match
				? [...match[1].matchAll(SEGMENT)].map(
						(segment) => segment[1] ?? segment[2] ?? segment[3] ?? segment[4],
					)
				: undefined,
		};
	}
	return lastParsed.path;
}

/**
 * The value at `path` through own properties only; undefined when any step is missing or not an
 * object, so a caller can leave every such case to n8n's own evaluation (and its own messages).
 */
export function readOwnPath(value: unknown, path: readonly string[]): unknown {
	let current = value;
	for (const segment of path) {
		if (current === null || typeof current !== 'object') return undefined;
		if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
		current = (current as Record<string, unknown>)[segment];
	}
	return current;
}
