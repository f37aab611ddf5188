// n8n's own lint rules for community packages, the variant without n8n Cloud support: the shared
// store needs database clients (ioredis, pg), so this package is for self-hosted n8n.
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	...configWithoutCloudSupport,
	{
		files: ['package.json'],
		rules: {
			// Even the non-Cloud preset forbids runtime dependencies. Self-hosted n8n installs a
			// community package's dependencies; the store cannot work without its database clients.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		files: ['lib/**/*.ts'],
		rules: {
			// lib/ is framework-free by design: each module throws its own typed error, and the node
			// classes turn them into NodeOperationError / NodeApiError at the boundary.
			'@n8n/community-nodes/require-node-api-error': 'off',
		},
	},
];
