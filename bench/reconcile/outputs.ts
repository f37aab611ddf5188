import { createHash } from 'node:crypto';

import type { IDataObject } from 'n8n-workflow';

import type { ExecutionDetail } from '../../test/e2e/harness';

/**
 * What a compare node put on each of its four outputs, small enough to keep for every run: the
 * count, each item's matched key (its identity) and hashes of the items' content.
 */
export interface OutputDigest {
	counts: number[];
	/** Per output, each item's key: the row's own, or `keys.<field>` for a Different item. */
	ids: string[][];
	/** Per output, a hash of every item's JSON in output order. */
	orderedHashes: string[];
	/** Per output, the same ignoring order: equal when both hold the same items. */
	contentHashes: string[];
}

/** JSON with object keys sorted, so two equal items give the same text whatever their key order. */
function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value !== null && typeof value === 'object') {
		const entries = Object.entries(value as Record<string, unknown>)
			.filter(([, field]) => field !== undefined)
			.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
		return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonical(field)}`).join(',')}}`;
	}
	return JSON.stringify(value);
}

const sha256 = (lines: readonly string[]) =>
	createHash('sha256').update(lines.join('\n')).digest('hex');

export function digestOutputs(
	execution: ExecutionDetail,
	nodeName: string,
	keyField: string,
): OutputDigest {
	const runs = execution.data.resultData.runData[nodeName];
	if (!runs?.length) throw new Error(`Node "${nodeName}" did not run in execution ${execution.id}`);
	const outputs = runs[runs.length - 1].data?.main ?? [];
	const items = [0, 1, 2, 3].map((output) =>
		(outputs[output] ?? []).map(({ json }) => json as IDataObject),
	);
	const texts = items.map((output) => output.map(canonical));
	return {
		counts: items.map((output) => output.length),
		ids: items.map((output) =>
			output.map((json) => String(json[keyField] ?? (json.keys as IDataObject)?.[keyField])),
		),
		orderedHashes: texts.map(sha256),
		contentHashes: texts.map((output) => sha256([...output].sort())),
	};
}

export interface OutputComparison {
	/** Same counts, same keys and same items on every output. */
	identical: boolean;
	/** Also in the same order on every output. */
	sameOrder: boolean;
	differences: string[];
}

export const OUTPUT_NAMES = ['In A Only', 'Same', 'Different', 'In B Only'];

export function compareDigests(ours: OutputDigest, theirs: OutputDigest): OutputComparison {
	const differences: string[] = [];
	OUTPUT_NAMES.forEach((name, output) => {
		if (ours.counts[output] !== theirs.counts[output]) {
			differences.push(`${name}: ${ours.counts[output]} items, expected ${theirs.counts[output]}`);
		}
		const expected = new Set(theirs.ids[output]);
		const got = new Set(ours.ids[output]);
		const extra = [...got].filter((id) => !expected.has(id));
		const lacking = [...expected].filter((id) => !got.has(id));
		if (extra.length > 0 || lacking.length > 0) {
			differences.push(
				`${name}: ${extra.length} key(s) not expected (${extra.slice(0, 3).join(', ')}), ${lacking.length} lacking (${lacking.slice(0, 3).join(', ')})`,
			);
		} else if (ours.contentHashes[output] !== theirs.contentHashes[output]) {
			differences.push(`${name}: the same keys, but items with other content`);
		}
	});
	return {
		identical: differences.length === 0,
		sameOrder: ours.orderedHashes.every((hash, output) => hash === theirs.orderedHashes[output]),
		differences,
	};
}
