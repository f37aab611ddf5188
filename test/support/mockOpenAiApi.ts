import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { listenLocally } from './localServer';

/**
 * A local stand-in for OpenAI's Chat Completions API (`POST /v1/chat/completions`), the endpoint
 * n8n's OpenAI Chat Model node calls when its credential's Base URL points here. The test decides
 * each answer from the request's messages: a text, a text after a delay (a slow model), or an
 * error status. Every call is recorded with its messages, so a test counts the calls per order.
 */

export interface ChatMessage {
	role: string;
	content: string;
}

export interface ChatCall {
	model: string;
	messages: ChatMessage[];
	/** The text of the last user message: the prompt the workflow built. */
	prompt: string;
	/** The status answered; 0 while a delayed answer is still pending. */
	status: number;
}

export type ChatReply = { content: string; delayMs?: number } | { status: number; error: string };

export interface MockOpenAiApi {
	/** The credential's Base URL: `http://127.0.0.1:<port>/v1` */
	baseUrl: string;
	readonly calls: ChatCall[];
	close(): Promise<void>;
}

const COMPLETIONS_PATH = '/v1/chat/completions';

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

/** Message content is a string, or (multi-part messages) a list of parts with text. */
function textOf(content: unknown): string {
	if (typeof content === 'string') return content;
	if (Array.isArray(content))
		return content.map((part) => (part as { text?: string }).text ?? '').join('');
	return '';
}

function completion(model: string, content: string) {
	return {
		id: `chatcmpl-mock-${Date.now()}`,
		object: 'chat.completion',
		created: Math.floor(Date.now() / 1000),
		model,
		choices: [
			{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' },
		],
		usage: { prompt_tokens: 500, completion_tokens: 40, total_tokens: 540 },
	};
}

/** The same answer as server-sent events, for a client that asks for a stream. */
function streamCompletion(response: ServerResponse, model: string, content: string): void {
	const base = { id: 'chatcmpl-mock-stream', object: 'chat.completion.chunk', created: 0, model };
	response.writeHead(200, { 'content-type': 'text/event-stream' });
	const send = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
	send({
		...base,
		choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }],
	});
	send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
	response.end('data: [DONE]\n\n');
}

export async function startMockOpenAiApi({
	apiKey,
	reply,
}: {
	/** The key the credential must send as `Authorization: Bearer <key>`. */
	apiKey: string;
	reply: (call: ChatCall) => ChatReply;
}): Promise<MockOpenAiApi> {
	const calls: ChatCall[] = [];
	/** Delayed answers still pending: cancelled on close, so no timer outlives the test. */
	const pending = new Set<NodeJS.Timeout>();
	const respond = async (request: IncomingMessage, response: ServerResponse) => {
		const answer = (status: number, body: unknown) => {
			response.writeHead(status, { 'content-type': 'application/json' });
			response.end(JSON.stringify(body));
		};
		if (request.method !== 'POST' || request.url?.split('?')[0] !== COMPLETIONS_PATH) {
			answer(404, { error: { message: `No route ${request.method} ${request.url}` } });
			return;
		}
		if (request.headers.authorization !== `Bearer ${apiKey}`) {
			answer(401, { error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } });
			return;
		}
		const body = await readJson(request);
		const messages = (body.messages as Array<{ role: string; content: unknown }>).map(
			({ role, content }) => ({ role, content: textOf(content) }),
		);
		const userMessages = messages.filter((message) => message.role === 'user');
		const call: ChatCall = {
			model: String(body.model),
			messages,
			prompt: userMessages[userMessages.length - 1]?.content ?? '',
			status: 0,
		};
		calls.push(call);
		const chosen = reply(call);
		if ('status' in chosen) {
			call.status = chosen.status;
			answer(chosen.status, { error: { message: chosen.error, type: 'server_error' } });
			return;
		}
		if (chosen.delayMs) {
			await new Promise<void>((resolve) => {
				const timer = setTimeout(() => {
					pending.delete(timer);
					resolve();
				}, chosen.delayMs);
				pending.add(timer);
			});
		}
		if (response.destroyed) return;
		call.status = 200;
		if (body.stream === true) streamCompletion(response, call.model, chosen.content);
		else answer(200, completion(call.model, chosen.content));
	};
	const server = createServer((request, response) => {
		respond(request, response).catch((error: Error) => {
			if (!response.headersSent) response.writeHead(500);
			response.end(error.message);
		});
	});
	const { origin, close } = await listenLocally(server);
	return {
		baseUrl: `${origin}/v1`,
		calls,
		close: async () => {
			for (const timer of pending) clearTimeout(timer);
			await close();
		},
	};
}
