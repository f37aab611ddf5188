import { type Rejection, reject } from './handleDelivery';

export interface RawBodyRequest {
	rawBody?: Buffer;
	readRawBody(): Promise<void>;
}

/**
 * The exact bytes (n8n decompresses gzip/deflate), or the rejection for a body that could not be
 * read. n8n's own reader refuses bodies over N8N_PAYLOAD_SIZE_MAX with status 413; our lower
 * limit is applied by handleDelivery.
 */
export async function readRawBody(
	request: RawBodyRequest,
	maxBodyBytes: number,
): Promise<Buffer | Rejection> {
	if (!Buffer.isBuffer(request.rawBody)) {
		try {
			await request.readRawBody();
		} catch (error) {
			return bodyReadFailure(error, maxBodyBytes);
		}
	}
	return Buffer.isBuffer(request.rawBody) ? request.rawBody : Buffer.alloc(0);
}

export function bodyReadFailure(error: unknown, maxBodyBytes: number): Rejection {
	const tooLarge = (error as { status?: number } | null)?.status === 413;
	return {
		...(tooLarge
			? reject(
					413,
					'bodyTooLarge',
					`Request body is larger than the limit of ${maxBodyBytes} bytes`,
				)
			: reject(400, 'bodyUnparseable', 'Request body could not be read')),
		logDetail: error instanceof Error ? error.message : String(error),
	};
}
