import { status } from '@grpc/grpc-js';

/** The shape of a failed grpc-js call: a gRPC status code and its details. */
export interface CallError extends Error {
  code: status;
  details: string;
}

export function isCallError(err: unknown): err is CallError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'details' in err;
}

/**
 * One line for a person: `UNAVAILABLE: No connection established ...`. Line breaks inside the
 * text (OpenSSL's TLS errors end with one) become spaces.
 */
export function describeError(err: unknown): string {
  const text = isCallError(err)
    ? `${status[err.code] ?? err.code}: ${err.details}`
    : err instanceof Error
      ? err.message
      : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
