import { fromBinary, type JsonValue, type Registry, toJson } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { Metadata, status } from '@grpc/grpc-js';
import { type Any, Status } from '@repo/proto';
import { isCallError, packErrorDetails, SERVED_BY_HEADER, STATUS_DETAILS_HEADER } from '@repo/wire';

/** Most details passed on from one Status: the rest are dropped. */
const MAX_DETAILS = 32;

/**
 * The Connect error for a failed backend call, code for code (gRPC's codes and Connect's are the
 * same sixteen, with the same numbers), with the backend's message, its `x-served-by`, and the details of its
 * `grpc-status-details-bin`, passed on as they came, with their JSON form as `debug` when the
 * registry knows their type (protos/ and google.rpc's error details). Anything that is not a gRPC status
 * becomes INTERNAL with a generic message; its cause stays on the error, for the log.
 */
export function toConnectError(err: unknown, registry: Registry): ConnectError {
  if (err instanceof ConnectError) return err;
  if (!isCallError(err) || err.code === status.OK) {
    return new ConnectError('internal error', Code.Internal, undefined, undefined, err);
  }
  const code =
    err.code >= Code.Canceled && err.code <= Code.Unauthenticated
      ? (err.code as number as Code)
      : Code.Unknown;
  const given = (err as { metadata?: unknown }).metadata;
  const metadata = given instanceof Metadata ? given : new Metadata();
  const error = new ConnectError(err.details, code, headersOf(metadata), undefined, err);
  const [detailsBin] = metadata.get(STATUS_DETAILS_HEADER);
  if (detailsBin instanceof Buffer) {
    try {
      error.details = detailsOf(registry, Status.decode(detailsBin).details.slice(0, MAX_DETAILS));
    } catch {
      // Bytes that are not a google.rpc.Status: the code and the message still go out.
    }
  }
  return error;
}

/** What the gateway says of an error it answers itself, as the services say it of theirs. */
export interface GatewayErrorInfo {
  /** ErrorInfo's stable reason, the services' own for the same case: SERVER_BUSY, TOKEN_INVALID. */
  reason: string;
  /** ErrorInfo's domain: the called service's name, as each service names itself. */
  domain: string;
  /** When a retry may work: sent as a RetryInfo. */
  retryDelayMs?: number;
}

/**
 * An error the gateway answers itself (too busy, no token), with the details a service would
 * send: an ErrorInfo with a stable reason and, when a retry may work, a RetryInfo. Connect puts
 * them in its JSON error, or in `grpc-status-details-bin` for gRPC and gRPC-Web.
 */
export function gatewayError(
  registry: Registry,
  message: string,
  code: Code,
  { reason, domain, retryDelayMs }: GatewayErrorInfo,
): ConnectError {
  const error = new ConnectError(message, code);
  error.details = detailsOf(
    registry,
    packErrorDetails({
      errorInfo: { reason, domain, metadata: {} },
      ...(retryDelayMs !== undefined && { retryInfo: { retryDelayMs } }),
    }),
  );
  return error;
}

/**
 * Packed details as Connect sends them: each one's type (the end of its Any's type URL,
 * type.googleapis.com/google.rpc.ErrorInfo), its bytes, and its JSON form when the registry knows
 * the type.
 */
function detailsOf(registry: Registry, packed: readonly Any[]) {
  return packed.map(({ typeUrl, value }) => {
    const type = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    const debug = debugOf(registry, type, value);
    return debug === undefined ? { type, value } : { type, value, debug };
  });
}

/**
 * The headers of a backend's response that the gateway's caller sees too: `x-served-by`, the
 * replica that answered. (`x-request-id` is the call's own, set by its CallScope.)
 */
export function headersOf(metadata: Metadata): Headers {
  const headers = new Headers();
  const [servedBy] = metadata.get(SERVED_BY_HEADER);
  if (typeof servedBy === 'string') headers.set(SERVED_BY_HEADER, servedBy);
  return headers;
}

function debugOf(registry: Registry, type: string, value: Uint8Array): JsonValue | undefined {
  const desc = registry.getMessage(type);
  if (!desc) return undefined;
  try {
    return toJson(desc, fromBinary(desc, value));
  } catch {
    return undefined;
  }
}
