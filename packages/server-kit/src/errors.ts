import { type Metadata, status } from '@grpc/grpc-js';

/**
 * An error meant for the client: its code and details are sent as the call's status.
 * Any other error that reaches a handler's boundary leaves as INTERNAL with a generic message.
 */
export class StatusError extends Error {
  override readonly name = 'StatusError';

  constructor(
    readonly code: status,
    readonly details: string,
    readonly metadata?: Metadata,
  ) {
    super(`${status[code]}: ${details}`);
  }
}

export function invalidArgument(details: string): StatusError {
  return new StatusError(status.INVALID_ARGUMENT, details);
}

/** What the client is told when a handler fails for a reason it should not see. */
export const INTERNAL_DETAILS = 'Internal server error';

/** The details of a call still running when the server's shutdown grace ran out. */
export const SHUTDOWN_DETAILS = 'server shutting down';
