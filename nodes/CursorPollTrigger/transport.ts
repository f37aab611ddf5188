import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	IDataObject,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ITriggerFunctions,
} from 'n8n-workflow';

import type { PageRequest, PageResponse, PollDependencies } from '../../lib/poll/pollCycle';

interface FullResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: unknown;
}

/**
 * The poll's I/O through n8n's request helpers, for one poll. The credential is read once here,
 * not once per page: outside trigger() n8n resolves it in an expression isolate of its own
 * (credentials-helper.js builds one per read when the context has no input data), which works from
 * the poller's timer but costs 40-70 ms CPU each time. A credential changed in n8n applies from the
 * next poll.
 */
export async function pollDependencies(
	context: ITriggerFunctions,
	authentication: string,
): Promise<PollDependencies> {
	const credentials =
		authentication === 'none' ? undefined : await readCredentials(context, authentication);
	const send = async (options: IHttpRequestOptions) =>
		(credentials
			? await context.helpers.httpRequestWithAuthentication.call(context, authentication, options, {
					credentialsDecrypted: credentials,
				})
			: await context.helpers.httpRequest(options)) as FullResponse;
	return {
		now: () => Date.now(),
		sleep: async (ms: number) => await new Promise<void>((resolve) => setTimeout(resolve, ms)),
		fetchPage: async (request: PageRequest): Promise<PageResponse> => {
			const response = await send({
				url: request.url,
				method: request.method as IHttpRequestMethods,
				qs: request.query,
				headers: request.headers,
				body: request.body as IDataObject | undefined,
				json: false,
				encoding: 'text',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
			});
			return {
				status: response.statusCode,
				headers: response.headers,
				body:
					typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? ''),
			};
		},
	};
}

async function readCredentials(
	context: ITriggerFunctions,
	type: string,
): Promise<ICredentialsDecrypted> {
	const reference = context.getNode().credentials?.[type];
	return {
		id: reference?.id ?? '',
		name: reference?.name ?? type,
		type,
		data: await context.getCredentials<ICredentialDataDecryptedObject>(type),
	};
}
