import { status } from '@grpc/grpc-js';
import { errorDetailsOf, isCallError } from '@repo/wire';

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

/**
 * The error details of a failed call (its google.rpc.Status, see errorDetailsOf), one line each
 * for a person, without indentation: each field violation (`name: must not be empty`), the
 * reason (`reason: NAME_EMPTY`, with its ErrorInfo metadata if any), when to retry (`retry
 * after: 1000 ms`), and the type of any detail not understood. Empty without details.
 */
export function describeErrorDetails(err: unknown): string[] {
  const details = errorDetailsOf(err);
  if (!details) return [];
  const lines: string[] = [];
  for (const { field, description } of details.badRequest?.fieldViolations ?? []) {
    lines.push(`${field}: ${description}`);
  }
  if (details.errorInfo) {
    const extra = Object.entries(details.errorInfo.metadata).map(([key, value]) => `${key}: ${value}`);
    lines.push(`reason: ${details.errorInfo.reason}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`);
  }
  if (details.retryInfo) lines.push(`retry after: ${details.retryInfo.retryDelayMs} ms`);
  for (const type of details.unknownTypes ?? []) lines.push(`detail: ${type}`);
  return lines.map((line) => line.replace(/\s*\n\s*/g, ' ').trim());
}
