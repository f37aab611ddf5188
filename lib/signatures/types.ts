/** One incoming webhook delivery, exactly as received. */
export interface SignedRequest {
	/** The exact bytes received: never re-serialised JSON. */
	rawBody: Buffer;
	/** Header names lower-case. */
	headers: Record<string, string | string[] | undefined>;
	/** e.g. 'POST' */
	method: string;
	/** Full URL as the sender called it (https://host/path?query), not the one seen behind a proxy. */
	url: string;
}

export interface VerifyOptions {
	/**
	 * Current secret first, then previous ones: any of them may verify, so a rotation never rejects
	 * a genuine delivery. For sendGrid these are base64 DER SPKI public keys.
	 */
	secrets: string[];
	/**
	 * For schemes that sign a timestamp: reject |now - ts| > tolerance, both directions.
	 * `Infinity` turns the check off (SendGrid, when the operator chooses so).
	 */
	toleranceSeconds: number;
	/** Injected clock (epoch seconds, may be fractional). */
	nowSeconds: number;
}

export interface VerifiedDelivery {
	/** The signed timestamp when the scheme has one (epoch seconds; HubSpot's ms converted). */
	timestampSeconds?: number;
	/** The configured secret that verified (current or a previous one). Never logged or sent. */
	secret: string;
}

export type SignatureFailureReason =
	| 'missingHeader'
	| 'malformedHeader'
	| 'signatureMismatch'
	| 'timestampTooOld'
	| 'timestampInFuture'
	| 'noSecret'
	| 'invalidSecret'
	/** The scheme's own settings contradict each other (our side, never the sender's fault). */
	| 'invalidConfiguration';

/**
 * The only error a verify function throws for a bad delivery. The message is safe to send back to
 * the sender: it never contains a secret, an expected signature or a computed HMAC.
 */
export class SignatureVerificationError extends Error {
	constructor(
		message: string,
		readonly reason: SignatureFailureReason,
	) {
		super(message);
		this.name = 'SignatureVerificationError';
	}
}
