import type { Metadata } from '@grpc/grpc-js';
import { type Any, BadRequest, ErrorInfo, RetryInfo, Status } from '@repo/proto';

/**
 * The trailer that carries a google.rpc.Status, as grpc-go, grpc-java and Connect send it: the
 * status's code and message again, and the error details, each packed in a google.protobuf.Any.
 */
export const STATUS_DETAILS_HEADER = 'grpc-status-details-bin';

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const BAD_REQUEST_TYPE = `${TYPE_URL_PREFIX}google.rpc.BadRequest`;
const RETRY_INFO_TYPE = `${TYPE_URL_PREFIX}google.rpc.RetryInfo`;
const ERROR_INFO_TYPE = `${TYPE_URL_PREFIX}google.rpc.ErrorInfo`;

/** One field of a request and what is wrong with it (google.rpc.BadRequest.FieldViolation). */
export interface FieldViolation {
  /** The field's name as the client wrote it in the .proto (`name`, `payload_bytes`). */
  field: string;
  /** What is wrong with it, for a person: `must not be empty`. */
  description: string;
}

/** The error details this project sends and reads, decoded. */
export interface ErrorDetails {
  /** Why the call failed, in a stable UPPER_SNAKE_CASE `reason`, and the `domain` it belongs to. */
  errorInfo?: { reason: string; domain: string; metadata: Record<string, string> };
  /** For INVALID_ARGUMENT: every field that is wrong. */
  badRequest?: { fieldViolations: FieldViolation[] };
  /** For a call worth retrying later (RESOURCE_EXHAUSTED, UNAVAILABLE): how much later, in milliseconds. */
  retryInfo?: { retryDelayMs: number };
  /** The type URLs of the details this reader does not know, kept so that none is silently lost. */
  unknownTypes?: string[];
}

/** The google.rpc.Status of a failed call: the same code and message as its gRPC status, and details. */
export function encodeRpcStatus(code: number, message: string, details: ErrorDetails): Buffer {
  return Buffer.from(Status.encode({ code, message, details: packErrorDetails(details) }).finish());
}

/** Each detail packed in a google.protobuf.Any, as a google.rpc.Status carries them. */
export function packErrorDetails(details: ErrorDetails): Any[] {
  const packed: Any[] = [];
  if (details.errorInfo) packed.push(pack(ERROR_INFO_TYPE, ErrorInfo.encode(details.errorInfo).finish()));
  if (details.badRequest) {
    const fieldViolations = details.badRequest.fieldViolations.map((violation) => ({
      ...violation,
      reason: '',
      localizedMessage: undefined,
    }));
    packed.push(pack(BAD_REQUEST_TYPE, BadRequest.encode({ fieldViolations }).finish()));
  }
  if (details.retryInfo) {
    const ms = Math.max(0, Math.round(details.retryInfo.retryDelayMs));
    const retryDelay = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
    packed.push(pack(RETRY_INFO_TYPE, RetryInfo.encode({ retryDelay }).finish()));
  }
  return packed;
}

function pack(typeUrl: string, value: Uint8Array): Any {
  return { typeUrl, value: Buffer.from(value) };
}

/** A decoded google.rpc.Status. */
export interface RpcStatus {
  code: number;
  message: string;
  details: ErrorDetails;
}

/**
 * Reads a google.rpc.Status (the value of STATUS_DETAILS_HEADER). Throws on bytes that are not
 * one: a peer's bug, not something to guess around.
 */
export function decodeRpcStatus(bytes: Uint8Array): RpcStatus {
  const status = Status.decode(bytes);
  const details: ErrorDetails = {};
  for (const { typeUrl, value } of status.details) {
    switch (typeUrl) {
      case ERROR_INFO_TYPE:
        details.errorInfo = ErrorInfo.decode(value);
        break;
      case BAD_REQUEST_TYPE:
        details.badRequest = {
          fieldViolations: BadRequest.decode(value).fieldViolations.map(({ field, description }) => ({
            field,
            description,
          })),
        };
        break;
      case RETRY_INFO_TYPE: {
        const delay = RetryInfo.decode(value).retryDelay;
        details.retryInfo = {
          retryDelayMs: delay ? delay.seconds * 1000 + Math.round(delay.nanos / 1e6) : 0,
        };
        break;
      }
      default:
        details.unknownTypes = [...(details.unknownTypes ?? []), typeUrl];
    }
  }
  return { code: status.code, message: status.message, details };
}

/**
 * The error details of a failed call (a grpc-js ServiceError, whose `metadata` holds the
 * trailers), decoded from its `grpc-status-details-bin`; undefined when it carries none, or
 * carries bytes that are not a google.rpc.Status.
 */
export function errorDetailsOf(err: unknown): ErrorDetails | undefined {
  const metadata = (err as { metadata?: unknown } | null | undefined)?.metadata;
  if (!isMetadata(metadata)) return undefined;
  const [value] = metadata.get(STATUS_DETAILS_HEADER);
  if (!Buffer.isBuffer(value)) return undefined;
  try {
    return decodeRpcStatus(value).details;
  } catch {
    return undefined;
  }
}

function isMetadata(value: unknown): value is Metadata {
  return typeof (value as { get?: unknown } | undefined)?.get === 'function';
}
