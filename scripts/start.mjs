/**
 * `npm start`: builds the package and runs the pinned n8n with it installed, in the foreground.
 * Data lives in .n8n-home/ and survives restarts. The workflows in templates/ are imported when
 * they are new or their file changed since the last import: an import overwrites the workflow with
 * the same id and unpublishes it, so re-importing on every start would undo the user's edits.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO_DIR, ensureN8nRuntime, importWorkflows, startN8n } from './n8n-runtime.mjs';
import { buildPackage } from './processes.mjs';

const USER_FOLDER = path.join(REPO_DIR, '.n8n-home');
const TEMPLATES_DIR = path.join(REPO_DIR, 'templates');
const IMPORTED_RECORD = path.join(USER_FOLDER, 'imported-templates.json');
const port = Number(process.env.N8N_PORT ?? 5678);

async function importChangedTemplates() {
	const files = fs.existsSync(TEMPLATES_DIR)
		? fs.readdirSync(TEMPLATES_DIR).filter((file) => file.endsWith('.json'))
		: [];
	const imported = fs.existsSync(IMPORTED_RECORD)
		? JSON.parse(fs.readFileSync(IMPORTED_RECORD, 'utf8'))
		: {};
	const hashes = Object.fromEntries(
		files.map((file) => [
			file,
			createHash('sha256').update(fs.readFileSync(path.join(TEMPLATES_DIR, file))).digest('hex'),
		]),
	);
	const changed = files.filter((file) => imported[file] !== hashes[file]);
	if (changed.length === 0) return;

	const batch = fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-sync-templates-'));
	try {
		for (const file of changed) fs.copyFileSync(path.join(TEMPLATES_DIR, file), path.join(batch, file));
		console.log(`Importing ${changed.length} template workflow(s): ${changed.join(', ')}`);
		await importWorkflows({ userFolder: USER_FOLDER, input: batch, env: { N8N_PORT: String(port) } });
	} finally {
		fs.rmSync(batch, { recursive: true, force: true });
	}
	fs.writeFileSync(IMPORTED_RECORD, JSON.stringify({ ...imported, ...hashes }, null, 2));
}

await ensureN8nRuntime();
buildPackage();
fs.mkdirSync(USER_FOLDER, { recursive: true });
await importChangedTemplates();

const n8n = await startN8n({ userFolder: USER_FOLDER, port });
console.log(`\nn8n with n8n-nodes-hybrid-sync is running at ${n8n.baseUrl} (data in .n8n-home/).`);
for (const signal of ['SIGINT', 'SIGTERM']) {
	process.on(signal, () => n8n.process.kill('SIGTERM'));
}
n8n.process.on('exit', (code) => process.exit(code ?? 1));
