export {
	N8nInstance,
	killProcessTree,
	N8nRestError,
	OWNER,
	nodeOutput,
	type CreatedCredential,
	type CreatedWorkflow,
	type ExecutionDetail,
	type ExecutionSummary,
	type StartOptions,
	type WorkflowDefinition,
} from './n8n-instance';
export {
	keyTokens,
	loadTemplate,
	outputItems,
	patchNode,
	shippedTemplates,
	switchOutputNames,
	withCredential,
} from './templates';
