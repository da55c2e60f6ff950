import { status } from '@grpc/grpc-js';
import { isCallError } from '@repo/wire';

/** The errors of Node's `connect()` that grpc-js reports in an UNAVAILABLE's details, in words. */
const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

/**
 * What a person can act on in grpc-js's UNAVAILABLE for a server it could not connect to
 * (`round_robin: No connection established. Last error: ... Error: connect ECONNREFUSED
 * 127.0.0.1:59999. Resolution note: `), or for a name it could not resolve; undefined otherwise.
 */
function unreachableOf(details: string): string | undefined {
  const connect = /\bconnect (E[A-Z]+) (\S+?)\.?(?:\s|$)/.exec(details);
  if (connect?.[1] && connect[2]) {
    return `cannot reach ${connect[2]}: ${CONNECT_ERRORS[connect[1]] ?? connect[1]}`;
  }
  const resolution = /^Name resolution failed for target (\S+)/.exec(details);
  if (resolution?.[1]) return `cannot resolve ${resolution[1]}`;
  return undefined;
}

/**
 * One line for a person: `INVALID_ARGUMENT: name must not be empty`, or for a server that cannot
 * be reached, what to check (`cannot reach 127.0.0.1:59999: connection refused`). Line breaks
 * inside the text (OpenSSL's TLS errors end with one) become spaces.
 */
export function describeError(err: unknown): string {
  const unreachable =
    isCallError(err) && err.code === status.UNAVAILABLE ? unreachableOf(err.details) : undefined;
  const text =
    unreachable ??
    (isCallError(err)
      ? `${status[err.code] ?? err.code}: ${err.details}`
      : err instanceof Error
        ? err.message
        : String(err));
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
