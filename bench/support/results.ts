import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const RESULTS_DIR = path.resolve(__dirname, '..', 'results');

/** One suite's outcome; scripts/bench.mjs merges every suite's file into results/latest.json. */
export interface SuiteResult {
	suite: string;
	finishedAt: string;
	/** Rows of the summary table, one object per line, keys in column order. */
	table: Array<Record<string, string | number>>;
	/** Everything measured, per round/run, for anyone who wants more than the medians. */
	details: unknown;
}

export function writeSuiteResult(result: Omit<SuiteResult, 'finishedAt'>): void {
	mkdirSync(RESULTS_DIR, { recursive: true });
	const complete: SuiteResult = { ...result, finishedAt: new Date().toISOString() };
	writeFileSync(
		path.join(RESULTS_DIR, `${result.suite}.json`),
		`${JSON.stringify(complete, null, 2)}\n`,
	);
	console.table(result.table);
}
