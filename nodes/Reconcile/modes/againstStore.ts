import isEmpty from 'lodash/isEmpty';
import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	NodeOperationError,
} from 'n8n-workflow';

import { toOrderingVersion } from '../../../lib/idempotency/orderingVersion';
import { reconcileAgainstStore, type ReconcileEntry } from '../../../lib/reconcile/againstStore';
import {
	buildReport,
	type Classification,
	countClassifications,
} from '../../../lib/reconcile/classify';
import { validateEntities } from '../../../lib/store/validation';
import { readLeaseMs } from '../../shared/lease';
import { outputsByName } from '../../shared/outputIndex';
import { readKey } from '../../shared/readKey';
import { runBatch } from '../../shared/runBatch';
import { openStoreFor } from '../../shared/storeDescription';
import { configuredOutputs, type OutputName } from '../Reconcile.description';

const OUTPUT: Record<Classification, OutputName> = {
	missing: 'Missing',
	handled: 'Handled',
	changed: 'Changed',
	inProgress: 'In Progress',
	deadLetter: 'Dead Letter',
};

interface Options {
	entity?: string;
	outputHandled?: boolean;
}

interface Outcome {
	key: string;
	status: Classification;
	claimed: boolean;
	token: string | undefined;
}

/**
 * Sorts the window's source records by what the store knows of their keys, claims the missing
 * ones when asked, and reports the recovery rate. Items that cannot be read (no key, a version
 * that is neither number nor date) fail alone and, with Continue On Fail, leave through Dead
 * Letter: never through Missing, which leads to processing.
 */
export async function reconcileWithStore(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const startedAt = Date.now();
	const node = this.getNode();
	const namespace = (this.getNodeParameter('namespace', 0, 'default') as string) || 'default';
	const claimRecovered = this.getNodeParameter('claimRecovered', 0, true) as boolean;
	const leaseMs = readLeaseMs(this);
	// Only the recovery claim dead-letters; without it the parameter is hidden and unread.
	const maxAttempts = claimRecovered
		? (this.getNodeParameter('maxAttempts', 0, 3) as number)
		: undefined;
	const thresholdPercent = this.getNodeParameter('alertThresholdPercent', 0, 1) as number;
	if (!(thresholdPercent >= 0 && thresholdPercent <= 100)) {
		throw new NodeOperationError(
			node,
			`Alert Threshold (%) must be from 0 to 100, got ${thresholdPercent}`,
		);
	}
	const window = (this.getNodeParameter('window', 0, '') as unknown) || null;
	const outputHandled =
		(this.getNodeParameter('reconcileOptions', 0, {}) as Options).outputHandled !== false;
	const backend = this.getNodeParameter('storeBackend', 0, 'embedded') as string;

	const items = this.getInputData();
	const output = outputsByName(configuredOutputs({ mode: 'againstStore' }));
	const statuses: Classification[] = [];
	const outputs = await runBatch<ReconcileEntry, Outcome>(this, {
		outputCount: output.count,
		errorOutput: output.index(OUTPUT.deadLetter),
		// An empty item (an empty window through a node set to Always Output Data) is no record:
		// skipped, so a night without records still reports.
		prepare: (itemIndex) =>
			isEmpty(items[itemIndex].json)
				? null
				: {
						key: readKey(this, itemIndex),
						version: readVersion(this, itemIndex),
						entity: readEntity(this, itemIndex),
					},
		execute: async (entries) => {
			const store = await openStoreFor(this, backend);
			const { classes, claimed, tokens } = await reconcileAgainstStore(store, namespace, entries, {
				claimRecovered,
				leaseMs,
				maxAttempts,
			});
			return entries.map((entry, index) => ({
				key: entry.key,
				status: classes[index],
				claimed: claimed[index],
				token: tokens[index],
			}));
		},
		route: (outcome, itemIndex) => {
			statuses.push(outcome.status);
			if (outcome.status === 'missing') {
				this.logger.warn('Reconcile recovered a record that was never handled', {
					key: outcome.key,
					namespace,
					claimed: outcome.claimed,
					node: node.name,
				});
			}
			return {
				output: output.index(OUTPUT[outcome.status]),
				json: {
					...items[itemIndex].json,
					reconcile: {
						status: outcome.status,
						key: outcome.key,
						namespace,
						claimed: outcome.claimed,
					},
					// What Idempotency Check Complete and Release read by default: the sweep's claim.
					...(outcome.token !== undefined
						? {
								idempotency: {
									status: 'claimed',
									key: outcome.key,
									namespace,
									token: outcome.token,
								},
							}
						: {}),
				},
			};
		},
	});
	if (!outputHandled) outputs[output.index('Handled')] = [];

	// The threshold was checked above, before anything was claimed; nothing else here can be wrong.
	const { report, alert } = buildReport({
		window,
		counts: countClassifications(statuses),
		durationMs: Date.now() - startedAt,
		alertThreshold: thresholdPercent / 100,
	});
	const reportItem: INodeExecutionData = {
		json: {
			...report,
			recoveryRatePercent: Math.round(report.recoveryRate * 10_000) / 100,
			alertThresholdPercent: thresholdPercent,
			alert,
			namespace,
		} as IDataObject,
		pairedItem: { item: 0 },
	};
	outputs[output.index('Report')].push(reportItem);
	if (alert) outputs[output.index('Alert')].push(reportItem);
	this.logger.info('Reconcile finished', {
		node: node.name,
		namespace,
		processed: report.processed,
		recovered: report.recovered,
		changed: report.changed,
		inProgress: report.inProgress,
		deadLetter: report.deadLetter,
		recoveryRate: report.recoveryRate,
		durationMs: report.durationMs,
	});
	return outputs;
}

function readVersion(context: IExecuteFunctions, itemIndex: number): number | undefined {
	const value = context.getNodeParameter('version', itemIndex, '') as unknown;
	if (value === '' || value === null || value === undefined) return undefined;
	const version = toOrderingVersion(value);
	if (version === undefined) {
		throw new NodeOperationError(
			context.getNode(),
			`Item ${itemIndex} has a version that is neither a number nor a date: ${JSON.stringify(value)}`,
			{
				itemIndex,
				description:
					'Version takes a number (version, sequence) or a date (ISO 8601, SQL or RFC 2822 text); leave it empty to skip the Changed check.',
			},
		);
	}
	return version;
}

function readEntity(context: IExecuteFunctions, itemIndex: number): string | undefined {
	const value = context.getNodeParameter('reconcileOptions.entity', itemIndex, '') as unknown;
	if (value === '' || value === null || value === undefined) return undefined;
	const entity = String(value);
	try {
		validateEntities([entity]);
	} catch (error) {
		throw new NodeOperationError(
			context.getNode(),
			`Item ${itemIndex} has an unusable ordering entity: ${(error as Error).message}`,
			{ itemIndex },
		);
	}
	return entity;
}
