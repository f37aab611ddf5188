import {
	SignatureVerificationError,
	type SignatureFailureReason,
	type SignedRequest,
	type VerifiedDelivery,
	type VerifyOptions,
} from '../../../lib/signatures';

export const NOW = 1_700_000_000;
export const TOLERANCE = 300;

/** Spaces after ':' and ',' on purpose, so re-serialising changes the bytes. */
export const JSON_BODY =
	'{"id": "evt_1NG8Du2eZvKYlo2CUI79vXWy", "type": "invoice.paid", "amount": 4200}';

export function reserialised(body: string): Buffer {
	return Buffer.from(JSON.stringify(JSON.parse(body)));
}

export function options(secrets: string[], overrides: Partial<VerifyOptions> = {}): VerifyOptions {
	return { secrets, toleranceSeconds: TOLERANCE, nowSeconds: NOW, ...overrides };
}

export function signedRequest(
	body: string | Buffer,
	headers: HeaderValues,
	overrides: Partial<SignedRequest> = {},
): SignedRequest {
	return {
		rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
		headers,
		method: 'POST',
		url: 'https://hooks.example.com/webhook/abc?source=test',
		...overrides,
	};
}

export type HeaderValues = Record<string, string | undefined>;

export interface Attempt {
	body?: string | Buffer;
	headers?: HeaderValues;
	url?: string;
	method?: string;
	secrets?: string[];
	nowSeconds?: number;
}

/** A verify call with the well-signed delivery as default: each test overrides the one thing it breaks. */
export function verifier(
	verify: (request: SignedRequest, options: VerifyOptions) => VerifiedDelivery,
	signed: Required<Pick<Attempt, 'body' | 'headers' | 'secrets'>> & Attempt,
): (attempt?: Attempt) => VerifiedDelivery {
	return (attempt = {}) => {
		const { body, headers, secrets, nowSeconds, ...request } = { ...signed, ...attempt };
		return verify(
			signedRequest(body, headers, request),
			options(secrets, { nowSeconds: nowSeconds ?? NOW }),
		);
	};
}

/** The copy of `headers` with one header removed or replaced. */
export function withHeader(
	headers: HeaderValues,
	name: string,
	value: string | undefined,
): HeaderValues {
	const copy = { ...headers };
	if (value === undefined) delete copy[name];
	else copy[name] = value;
	return copy;
}

/**
 * Runs `verify`, expects the typed error with `reason`, and checks that the message leaks none of
 * `secrets` (the secrets and the signatures that would have matched).
 */
export function expectRejection(
	verify: () => unknown,
	reason: SignatureFailureReason,
	secrets: string[],
): SignatureVerificationError {
	let caught: unknown;
	try {
		verify();
	} catch (error) {
		caught = error;
	}
	expect(caught).toBeInstanceOf(SignatureVerificationError);
	const error = caught as SignatureVerificationError;
	expect(error.reason).toBe(reason);
	for (const secret of secrets.filter((value) => value.length >= 4)) {
		expect(error.message.toLowerCase()).not.toContain(secret.toLowerCase());
	}
	return error;
}
