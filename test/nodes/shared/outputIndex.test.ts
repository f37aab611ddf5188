import { outputsByName } from '../../../nodes/shared/outputIndex';

const outputs = outputsByName<string>([
	{ displayName: 'New' },
	{ displayName: 'Duplicate' },
	{ displayName: 'Stale' },
]);

describe('outputsByName', () => {
	it('counts the outputs named', () => {
		expect(outputs.count).toBe(3);
	});

	it('finds each output by its name', () => {
		expect(['New', 'Duplicate', 'Stale'].map((name) => outputs.index(name))).toEqual([0, 1, 2]);
	});

	it('refuses a name the parameters do not show, naming those they do', () => {
		expect(() => outputs.index('Mismatch')).toThrow(
			'No output "Mismatch" among New, Duplicate, Stale',
		);
	});
});
