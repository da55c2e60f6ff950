import { Metadata, type ServerErrorResponse, status } from '@grpc/grpc-js';
import { encodeRpcStatus, type FieldViolation, STATUS_DETAILS_HEADER } from '@repo/wire';
import { sentenceOf } from './text';

/** A field of a request that is wrong: which, what is wrong, and the stable reason for it. */
export interface Violation extends FieldViolation {
  /** UPPER_SNAKE_CASE, `<FIELD>_<PROBLEM>`: `NAME_EMPTY`, `NAME_TOO_LONG`, `PAYLOAD_BYTES_TOO_LARGE`. */
  reason: string;
}

export interface StatusErrorOptions {
  /**
   * The ErrorInfo reason, stable and UPPER_SNAKE_CASE, that a program can branch on (docs/services.md
   * lists them); default: the code's name (`NOT_FOUND`).
   */
  reason?: string;
  /** More ErrorInfo metadata (`message: "3"` for the third message of a stream). */
  info?: Record<string, string>;
  /** The fields that are wrong, sent as a BadRequest (INVALID_ARGUMENT). */
  violations?: FieldViolation[];
  /** When a retry may succeed, sent as a RetryInfo (RESOURCE_EXHAUSTED, UNAVAILABLE). */
  retryDelayMs?: number;
  /** More trailers to send with the status. */
  metadata?: Metadata;
}

/**
 * An error meant for the client: its code and details are sent as the call's status, with a
 * google.rpc.Status carrying its error details (see toServiceError).
 * Any other error that reaches a handler's boundary leaves as INTERNAL with a generic message.
 */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  readonly reason: string;

  constructor(
    readonly code: status,
    readonly details: string,
    readonly options: StatusErrorOptions = {},
  ) {
    super(`${status[code]}: ${details}`);
    this.reason = options.reason ?? status[code] ?? 'UNKNOWN';
  }
}

/** A grpc-js ServiceError whose code, details and trailers are all set. */
export type ServiceErrorWithDetails = ServerErrorResponse & {
  code: status;
  details: string;
  metadata: Metadata;
};

/**
 * What the client gets for a StatusError: its code and details, and in `grpc-status-details-bin`
 * a google.rpc.Status with the same code and message, an ErrorInfo (reason, `domain`: the gRPC
 * service's name), and a BadRequest and a RetryInfo when the error has them. The one place where
 * every error our services send gets its details, so that they never disagree with the status.
 */
export function toServiceError(err: StatusError, domain: string): ServiceErrorWithDetails {
  const { violations, retryDelayMs, info } = err.options;
  const rpcStatus = encodeRpcStatus(err.code, err.details, {
    errorInfo: { reason: err.reason, domain, metadata: { ...info } },
    ...(violations && violations.length > 0 && { badRequest: { fieldViolations: violations } }),
    ...(retryDelayMs !== undefined && { retryInfo: { retryDelayMs } }),
  });
  const metadata = err.options.metadata?.clone() ?? new Metadata();
  metadata.set(STATUS_DETAILS_HEADER, rpcStatus);
  return { name: err.name, message: err.details, code: err.code, details: err.details, metadata };
}

/**
 * INVALID_ARGUMENT for a field that is wrong: `name must not be empty`, with the violation in a
 * BadRequest and its reason in the ErrorInfo. For a message of a stream, `position` (from 1)
 * prefixes the details (`message 3: text must ...`) and is the ErrorInfo's `message`.
 */
export function invalidArgument(violation: Violation, position?: number): StatusError {
  const { field, description, reason } = violation;
  const sentence = sentenceOf(violation);
  return new StatusError(status.INVALID_ARGUMENT, position ? `message ${position}: ${sentence}` : sentence, {
    reason,
    violations: [{ field, description }],
    ...(position && { info: { message: String(position) } }),
  });
}

/** What the client is told when a handler fails for a reason it should not see. */
export const INTERNAL_DETAILS = 'Internal server error';

/** The details of a call still running when the server's shutdown grace ran out. */
export const SHUTDOWN_DETAILS = 'server shutting down';

/**
 * When a client refused by a busy server (RESOURCE_EXHAUSTED, SERVER_BUSY) is told to retry:
 * handlers here finish in milliseconds, so a second lets the running ones end, and spreads out
 * the retries of a burst rather than sending them straight back.
 */
export const BUSY_RETRY_DELAY_MS = 1_000;

/**
 * When a client whose call was ended by a shutdown (UNAVAILABLE, SHUTTING_DOWN) is told to retry:
 * long enough for its channel to reconnect to another replica, or to the restarted process.
 */
export const SHUTDOWN_RETRY_DELAY_MS = 1_000;
