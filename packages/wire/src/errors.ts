import type { status } from '@grpc/grpc-js';

/** The shape of a failed grpc-js call: a gRPC status code and its details. */
export interface CallError extends Error {
  code: status;
  details: string;
}

/** True for the error of a gRPC call (grpc-js's ServiceError, or a StatusError of a handler's). */
export function isCallError(err: unknown): err is CallError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'details' in err;
}
