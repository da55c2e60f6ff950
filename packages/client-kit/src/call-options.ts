import { type CallOptions as GrpcCallOptions, Metadata } from '@grpc/grpc-js';
import { AUTHORIZATION_HEADER, REQUEST_ID_HEADER } from '@repo/wire';
import { injectTraceContext } from './telemetry';

/** A server call (grpc-js does not export the type by name). */
type ServerSurfaceCall = NonNullable<GrpcCallOptions['parent']>;

/** Options every call of every client library here takes. */
export interface CallOptions {
  /** Give up after this many milliseconds (DEADLINE_EXCEEDED). */
  timeoutMs?: number;
  /** Give up at this time (DEADLINE_EXCEEDED); the earlier of this and `timeoutMs` wins. */
  deadline?: Date;
  /** Cancels the call (CANCELLED) when it aborts. */
  signal?: AbortSignal;
  /** Sent as `x-request-id`, so the servers' logs of this call can be correlated. */
  requestId?: string;
  /**
   * Sent as `authorization: Bearer <token>`, for servers started with AUTH_TOKEN. Over a
   * connection without TLS it travels in clear text.
   */
  token?: string;
  /** More request metadata. */
  metadata?: Metadata | Record<string, string>;
  /**
   * The server call this call is made on behalf of: grpc-js then keeps the earlier of the two
   * deadlines and cancels this call when the parent is cancelled. For one call, or a few: grpc-js
   * adds a listener to the parent for each child call and never removes it, so a stream that makes
   * a call per message should pass the parent's deadline and signalOf(parent) instead.
   */
  parent?: ServerSurfaceCall;
}

/**
 * Translates our options into grpc-js's metadata and call options. The metadata carries the
 * active OpenTelemetry context (W3C `traceparent`), when an SDK registered a propagator.
 */
export function toGrpcCall(options: CallOptions = {}): {
  metadata: Metadata;
  callOptions: Partial<GrpcCallOptions>;
} {
  const metadata = options.metadata instanceof Metadata ? options.metadata.clone() : new Metadata();
  if (options.metadata && !(options.metadata instanceof Metadata)) {
    for (const [key, value] of Object.entries(options.metadata)) metadata.set(key, value);
  }
  if (options.requestId !== undefined) metadata.set(REQUEST_ID_HEADER, options.requestId);
  if (options.token !== undefined) metadata.set(AUTHORIZATION_HEADER, `Bearer ${options.token}`);
  injectTraceContext(metadata);

  const deadlines = [
    options.deadline?.getTime(),
    options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs,
  ].filter((value): value is number => value !== undefined);
  const callOptions: Partial<GrpcCallOptions> = {};
  if (deadlines.length > 0) callOptions.deadline = Math.min(...deadlines);
  if (options.parent) callOptions.parent = options.parent;
  return { metadata, callOptions };
}

/**
 * Cancels `call` when `signal` aborts, until the call ends. Returns the function that detaches
 * the listener; it is also detached when the call emits 'status'.
 */
export function cancelOnAbort(
  call: { cancel(): void; once(event: 'status', listener: () => void): unknown },
  signal: AbortSignal | undefined,
): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    call.cancel();
    return () => {};
  }
  const onAbort = () => call.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  const detach = () => signal.removeEventListener('abort', onAbort);
  call.once('status', detach);
  return detach;
}
