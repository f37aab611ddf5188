import { performance } from 'node:perf_hooks';

import { Pool } from 'undici';

import { percentileOfSorted } from './stats';

/** One request, built before the clock starts so signing never counts as server time. */
export interface PreparedRequest {
	path: string;
	headers: Record<string, string>;
	body: string;
	/** Says what is wrong with the answer, or undefined when it is the expected one. */
	check(status: number, body: string): string | undefined;
}

export interface LoadResult {
	requests: number;
	/** Answers that failed `check`, plus requests that got no answer at all. */
	errors: number;
	/** Up to five distinct error descriptions, to tell what went wrong without a debugger. */
	errorSamples: string[];
	durationSeconds: number;
	requestsPerSecond: number;
	p50Ms: number;
	p99Ms: number;
}

/**
 * Sends every request once, `concurrency` at a time over as many keep-alive connections, and
 * times each from send to the last byte of its answer.
 */
export async function runLoad(
	origin: string,
	requests: readonly PreparedRequest[],
	concurrency: number,
): Promise<LoadResult> {
	const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
	const latenciesMs = new Float64Array(requests.length);
	const errorSamples = new Set<string>();
	let errors = 0;
	let next = 0;
	const fail = (problem: string) => {
		errors++;
		if (errorSamples.size < 5) errorSamples.add(problem);
	};
	const worker = async () => {
		for (let index = next++; index < requests.length; index = next++) {
			const request = requests[index];
			const sentAt = performance.now();
			try {
				const response = await pool.request({
					origin,
					path: request.path,
					method: 'POST',
					headers: request.headers,
					body: request.body,
				});
				const text = await response.body.text();
				latenciesMs[index] = performance.now() - sentAt;
				const problem = request.check(response.statusCode, text);
				if (problem !== undefined) fail(problem);
			} catch (error) {
				latenciesMs[index] = performance.now() - sentAt;
				fail(`no answer: ${(error as Error).message}`);
			}
		}
	};
	const startedAt = performance.now();
	let durationSeconds: number;
	try {
		await Promise.all(Array.from({ length: concurrency }, worker));
		durationSeconds = (performance.now() - startedAt) / 1000;
	} finally {
		await pool.close();
	}
	const sorted = latenciesMs.sort();
	return {
		requests: requests.length,
		errors,
		errorSamples: [...errorSamples],
		durationSeconds,
		requestsPerSecond: requests.length / durationSeconds,
		p50Ms: percentileOfSorted(sorted, 50),
		p99Ms: percentileOfSorted(sorted, 99),
	};
}
