import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { signatureSchemes, type SignedRequest, type VerifyOptions } from '../lib/signatures';
import { stripeEventBody, stripeSignature } from './support/payload';
import { writeSuiteResult } from './support/results';
import { median, round } from './support/stats';

/**
 * Verifications per second of the pure signature verifiers against the floor they cannot beat:
 * one bare HMAC-SHA256 of the body plus a constant-time compare. A ratio near 1 means a verifier
 * adds little beyond the cryptography it must do; the goal is >= 0.8.
 */

const BODY_SIZES = [1024, 16 * 1024];
const RUNS = 9;
const RUN_MS = 300;
const WARM_UP_MS = 200;
/** Calls between two clock reads, so reading the clock costs nothing measurable. */
const BATCH = 32;
const GOAL_RATIO = 0.8;

const SECRET = 'whsec_bench_plain_text_signing_secret';
/** Standard Webhooks keys are base64 bytes behind the `whsec_` prefix. */
const STANDARD_WEBHOOKS_KEY = randomBytes(32);
const STANDARD_WEBHOOKS_SECRET = `whsec_${STANDARD_WEBHOOKS_KEY.toString('base64')}`;
const NOW = 1767225600;

type Case = { name: string; verify: () => void };

function signedRequest(rawBody: Buffer, headers: Record<string, string>): SignedRequest {
	return { rawBody, headers, method: 'POST', url: 'https://example.com/webhook' };
}

function hmacSha256(key: string | Buffer, ...parts: Array<string | Buffer>): Buffer {
	const mac = createHmac('sha256', key);
	for (const part of parts) mac.update(part);
	return mac.digest();
}

function casesFor(body: Buffer): Case[] {
	const options = (secret: string): VerifyOptions => ({
		secrets: [secret],
		toleranceSeconds: 300,
		nowSeconds: NOW,
	});
	const expected = hmacSha256(SECRET, body);
	const requests = {
		stripe: signedRequest(body, { 'stripe-signature': stripeSignature(body, SECRET, NOW) }),
		github: signedRequest(body, { 'x-hub-signature-256': `sha256=${expected.toString('hex')}` }),
		standardWebhooks: signedRequest(body, {
			'webhook-id': 'msg_2benchmarkmessageid',
			'webhook-timestamp': String(NOW),
			'webhook-signature': `v1,${hmacSha256(STANDARD_WEBHOOKS_KEY, `msg_2benchmarkmessageid.${NOW}.`, body).toString('base64')}`,
		}),
		shopify: signedRequest(body, { 'x-shopify-hmac-sha256': expected.toString('base64') }),
	};
	const scheme = (name: keyof typeof requests, secret = SECRET): Case => ({
		name,
		verify: () => signatureSchemes[name].verify(requests[name], options(secret)),
	});
	return [
		{
			name: 'bare HMAC-SHA256',
			verify: () => {
				const digest = createHmac('sha256', SECRET).update(body).digest();
				if (!(digest.length === expected.length && timingSafeEqual(digest, expected))) {
					throw new Error('bare HMAC mismatch');
				}
			},
		},
		scheme('stripe'),
		scheme('github'),
		scheme('standardWebhooks', STANDARD_WEBHOOKS_SECRET),
		scheme('shopify'),
	];
}

interface Rate {
	/** Calls per second of this thread's CPU time: what the code costs, whatever else runs. */
	perCpuSecond: number;
	/** Calls per second of wall time: lower when other processes take the cores. */
	perWallSecond: number;
}

/** Calls per second over one fixed wall-time window. */
function measure(verify: () => void, durationMs: number): Rate {
	const durationNs = BigInt(durationMs) * 1_000_000n;
	const cpuBefore = process.threadCpuUsage();
	const start = process.hrtime.bigint();
	let calls = 0;
	let elapsedNs = 0n;
	do {
		for (let i = 0; i < BATCH; i++) verify();
		calls += BATCH;
		elapsedNs = process.hrtime.bigint() - start;
	} while (elapsedNs < durationNs);
	const cpu = process.threadCpuUsage(cpuBefore);
	return {
		perCpuSecond: calls / ((cpu.user + cpu.system) / 1e6),
		perWallSecond: calls / (Number(elapsedNs) / 1e9),
	};
}

function main(): void {
	const table: Array<Record<string, string | number>> = [];
	const measurements: unknown[] = [];
	for (const size of BODY_SIZES) {
		const body = Buffer.from(stripeEventBody('evt_bench_verifier', size));
		const cases = casesFor(body);
		for (const { verify } of cases) {
			verify(); // A valid delivery must pass before its speed means anything.
			measure(verify, WARM_UP_MS);
		}
		// Runs interleave the cases, so a slow patch of the machine hits them all alike.
		const runs = new Map(cases.map(({ name }) => [name, [] as Rate[]]));
		for (let run = 0; run < RUNS; run++) {
			for (const { name, verify } of cases) runs.get(name)!.push(measure(verify, RUN_MS));
		}
		const medianOf = (name: string, pick: (rate: Rate) => number) =>
			median(runs.get(name)!.map(pick));
		const baselineName = cases[0].name;
		const baseline = medianOf(baselineName, (rate) => rate.perCpuSecond);
		const baselineWall = medianOf(baselineName, (rate) => rate.perWallSecond);
		for (const { name } of cases) {
			const perCpuSecond = medianOf(name, (rate) => rate.perCpuSecond);
			const perWallSecond = medianOf(name, (rate) => rate.perWallSecond);
			const ratio = perCpuSecond / baseline;
			table.push({
				body: `${size / 1024} KB`,
				verifier: name,
				'verifications/s': Math.round(perCpuSecond),
				'µs each': round(1e6 / perCpuSecond, 2),
				'ratio to bare': round(ratio, 2),
				'ratio (wall time)': round(perWallSecond / baselineWall, 2),
				goal: name === baselineName ? '' : ratio >= GOAL_RATIO ? 'ok' : `below ${GOAL_RATIO}`,
			});
			measurements.push({
				bodyBytes: size,
				verifier: name,
				perCpuSecondRuns: runs.get(name)!.map((rate) => Math.round(rate.perCpuSecond)),
				perWallSecondRuns: runs.get(name)!.map((rate) => Math.round(rate.perWallSecond)),
			});
		}
	}
	writeSuiteResult({
		suite: 'verifier',
		table,
		details: {
			runs: RUNS,
			runMs: RUN_MS,
			goalRatio: GOAL_RATIO,
			node: process.versions.node,
			measurements,
		},
	});
}

main();
