import { IdempotencyCheck } from '../../../nodes/IdempotencyCheck/IdempotencyCheck.node';
import { configuredOutputs } from '../../../nodes/IdempotencyCheck/outputs';
import { events, runIdempotencyCheck, useTemporaryStore } from './runIdempotencyCheck';

useTemporaryStore();

type OutputParameters = Parameters<typeof configuredOutputs>[0];

const names = (parameters: OutputParameters) =>
	configuredOutputs(parameters).map((output) => output.displayName);

/** The editor evaluates the description's outputs expression on its own, without this module's scope. */
function evaluateOutputsExpression(parameters: OutputParameters) {
	const expression = new IdempotencyCheck().description.outputs as string;
	const body = /^=\{\{([\s\S]*)\}\}$/.exec(expression)?.[1];
	expect(body).toBeDefined();
	return new Function('$parameter', `return ${body}`)(parameters) as ReturnType<
		typeof configuredOutputs
	>;
}

const cases: Array<[string, OutputParameters, string[]]> = [
	['claim', { operation: 'claim' }, ['New', 'Duplicate', 'In Progress', 'Dead Letter']],
	['no operation chosen yet (claim)', {}, ['New', 'Duplicate', 'In Progress', 'Dead Letter']],
	[
		'claim with fingerprint fields',
		{ operation: 'claim', claimOptions: { fingerprintFields: 'amount' } },
		['New', 'Duplicate', 'In Progress', 'Dead Letter', 'Mismatch'],
	],
	[
		'claim with fingerprint fields failing on mismatch',
		{ operation: 'claim', claimOptions: { fingerprintFields: 'amount', onMismatch: 'error' } },
		['New', 'Duplicate', 'In Progress', 'Dead Letter'],
	],
	[
		'claim with blank fingerprint fields',
		{ operation: 'claim', claimOptions: { fingerprintFields: '  ', onMismatch: 'output' } },
		['New', 'Duplicate', 'In Progress', 'Dead Letter'],
	],
	[
		'claim with fingerprint fields that name no field',
		{ operation: 'claim', claimOptions: { fingerprintFields: ' ,\n, ', onMismatch: 'output' } },
		['New', 'Duplicate', 'In Progress', 'Dead Letter'],
	],
	['complete', { operation: 'complete' }, ['Completed', 'Lost Claim']],
	['release', { operation: 'release' }, ['Released', 'Dead Letter', 'Lost Claim']],
	['inspect', { operation: 'inspect' }, ['Keys']],
	['forget', { operation: 'forget' }, ['Keys']],
];

describe('Idempotency Check: outputs', () => {
	it.each(cases)('names the outputs of %s', (_, parameters, expected) => {
		expect(names(parameters)).toEqual(expected);
		expect(configuredOutputs(parameters).every((output) => output.type === 'main')).toBe(true);
	});

	it.each(cases)(
		'gives the same outputs through the expression the editor evaluates (%s)',
		(_, parameters) => {
			expect(evaluateOutputsExpression(parameters)).toEqual(configuredOutputs(parameters));
		},
	);

	it.each(cases)(
		'answers as many output lists as it names (%s)',
		async (_, parameters, expected) => {
			const outputs = await runIdempotencyCheck(
				{ ...parameters, operation: parameters.operation ?? 'claim' },
				events('evt_1'),
			);

			expect(outputs).toHaveLength(expected.length);
		},
	);
});
