import {
  type Deadline,
  Metadata,
  type ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type StatusObject,
  status,
} from '@grpc/grpc-js';
import type { InterceptingServerListener } from '@grpc/grpc-js/build/src/server-interceptors';
import type { Span } from '@opentelemetry/api';
import type { MethodPoints } from '@repo/telemetry';
import { REQUEST_ID_HEADER, SERVED_BY_HEADER } from '@repo/wire';
import { type BaseCallObserver, installBaseCallHooks, observeBaseCall, streamGone } from './base-call';
import { ensureRequestId } from './call-context';
import {
  endServerSpan,
  recordCallEnd,
  type ServerCallTelemetry,
  type ServerEnded,
  type ServerMetrics,
} from './call-telemetry';
import { INSTANCE, type Logger, traceFieldsOf } from './logger';

/**
 * Health checks get no span: probes would fill every trace backend with a root span per check
 * every few seconds. They are still counted in the metrics.
 */
const UNTRACED_SERVICE = '/grpc.health.v1.Health/';

/**
 * A unary call that ends OK is logged at debug, unless it took longer than this (the default
 * of createServer's `slowCallMs`): at info, one
 * line per successful call cost more server CPU than the rest of the call (BENCHMARKS.md), and
 * what it would say (the method was called, it worked) the metrics already count. Every other
 * call is logged at info or above: failures, slow calls, and streams (one line per stream, small
 * next to its messages). Health checks, every few seconds from every probe, are unary calls too.
 */
const SLOW_CALL_MS = 1_000;

/**
 * A client resets its call when its own deadline passes, at about the moment the server's copy
 * of that deadline (the grpc-timeout it sent, counted from the call's arrival) passes too:
 * whichever of the two the server sees first, the call ran out of time. A cancellation this
 * close to the deadline is logged as DEADLINE_EXCEEDED (under load, the reset was seen up to a
 * few ms before the server's own timer).
 */
const DEADLINE_SLACK_MS = 50;

/**
 * Codes that mean the server failed, rather than the client or the network. Not UNIMPLEMENTED:
 * grpc-js answers it to a method this server does not serve and to a unary call that ends (or
 * is reset) before its request message, both the client's doing, and a flood of either would
 * otherwise fill the error log.
 */
const SERVER_FAULTS = new Set([status.UNKNOWN, status.INTERNAL, status.DATA_LOSS]);

/**
 * A server interceptor that observes every call on the server, health and reflection included,
 * in one place (one interceptor, so grpc-js builds one intercepting call, whatever is switched on):
 *
 * - gives it a request id (the client's `x-request-id`, or a new one), sent back with
 *   `x-served-by` in the response headers;
 * - logs one line when it ends: request id, method, status code, duration, and the trace and
 *   span ids when it is traced (a fast successful unary call at debug: see SLOW_CALL_MS);
 * - with `telemetry`, records gRPC's standard metrics (gRFC A66) and a SERVER span that
 *   continues the caller's trace (see ServerCallTelemetry).
 *
 * It must be the first interceptor: it also sees what grpc-js's base call does on its own
 * (see installBaseCallHooks).
 */
export function createCallLogInterceptor(
  logger: Logger,
  telemetry?: ServerCallTelemetry,
  slowCallMs = SLOW_CALL_MS,
): ServerInterceptor {
  installBaseCallHooks();
  const settings: CallLogSettings = { logger, telemetry, metrics: telemetry?.metrics, slowCallMs };
  // grpc-js types an interceptor's result as its own class; it needs only the interface.
  return (method, call) =>
    new LoggedCall(
      settings,
      method.path,
      !method.requestStream && !method.responseStream,
      call,
    ) as unknown as ServerInterceptingCall;
}

interface CallLogSettings {
  readonly logger: Logger;
  readonly telemetry: ServerCallTelemetry | undefined;
  readonly metrics: ServerMetrics | undefined;
  readonly slowCallMs: number;
}

/**
 * One call as the call log sees it: grpc-js's intercepting call for the next interceptor (or the
 * handler), the listener of the base call's events, and the observer of what the base call does
 * on its own, all in one object with its methods on the prototype. (Built from grpc-js's
 * listener and responder builders, the same work took a dozen closures and objects per call,
 * and left V8's young-generation collections three times as long: BENCHMARKS.md.)
 */
class LoggedCall implements ServerInterceptingCallInterface, InterceptingServerListener, BaseCallObserver {
  sentBytes = 0;
  receivedBytes = 0;
  private readonly started = performance.now();
  private readonly name: string;
  /** Its method's metrics, when they are on. */
  private readonly points: MethodPoints<ServerEnded> | undefined;
  private requestId = '';
  private span: Span | undefined;
  private headersSent = false;
  private ended = false;
  private next: InterceptingServerListener | undefined;

  constructor(
    private readonly settings: CallLogSettings,
    private readonly method: string,
    private readonly unary: boolean,
    private readonly base: ServerInterceptingCallInterface,
  ) {
    this.name = method.slice(1);
    this.points = settings.metrics?.of(this.name);
    this.points?.started.add(1);
    observeBaseCall(base, this);
  }

  // The base call's events, passed on to the next listener.

  onReceiveMetadata(metadata: Metadata): void {
    this.requestId = ensureRequestId(metadata);
    if (!this.method.startsWith(UNTRACED_SERVICE))
      this.span = this.settings.telemetry?.startSpan(this.name, metadata);
    this.next?.onReceiveMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.next?.onReceiveMessage(message);
  }

  onReceiveHalfClose(): void {
    this.next?.onReceiveHalfClose();
  }

  /** Also at the end of every call that got its status: finish has run by then, once. */
  onCancel(): void {
    this.finishCancelled();
    this.next?.onCancel();
  }

  // The intercepting call.

  start(listener: InterceptingServerListener): void {
    this.next = listener;
    this.base.start(this);
  }

  sendMetadata(metadata: Metadata): void {
    this.headersSent = true;
    metadata.set(REQUEST_ID_HEADER, this.requestId);
    metadata.set(SERVED_BY_HEADER, INSTANCE);
    this.base.sendMetadata(metadata);
  }

  sendMessage(message: unknown, callback: () => void): void {
    // The base call would send its own headers first, without ours.
    if (!this.headersSent) this.sendMetadata(new Metadata());
    this.base.sendMessage(message, callback);
  }

  sendStatus(callStatus: StatusObject): void {
    this.statusSent(callStatus);
    if (this.headersSent) {
      this.base.sendStatus(callStatus);
      return;
    }
    // A call that fails before sending anything gets a trailers-only response: without this,
    // its client would not learn the request id under which the failure was logged.
    const metadata = callStatus.metadata?.clone() ?? new Metadata();
    metadata.set(REQUEST_ID_HEADER, this.requestId);
    metadata.set(SERVED_BY_HEADER, INSTANCE);
    this.base.sendStatus({ ...callStatus, metadata });
  }

  startRead(): void {
    this.base.startRead();
  }

  getPeer(): string {
    return this.base.getPeer();
  }

  getDeadline(): Deadline {
    return this.base.getDeadline();
  }

  getHost(): string {
    return this.base.getHost();
  }

  getAuthContext(): ReturnType<ServerInterceptingCallInterface['getAuthContext']> {
    return this.base.getAuthContext();
  }

  getConnectionInfo(): ReturnType<ServerInterceptingCallInterface['getConnectionInfo']> {
    return this.base.getConnectionInfo();
  }

  getMetricsRecorder(): ReturnType<ServerInterceptingCallInterface['getMetricsRecorder']> {
    return this.base.getMetricsRecorder();
  }

  // The end of the call.

  /**
   * A status on its way out: ours, or one grpc-js's base call sends on its own. A status for a
   * stream the client has reset is dropped by grpc-js: what the call got is the reset. (Since
   * Node 24, a response write still in flight when the reset comes completes without an error,
   * so a handler can get as far as its status, OK say, after the reset.)
   */
  statusSent(callStatus: { code: number; details: string }): void {
    // Our sendStatus reports the status, then the base call's hook sees it again.
    if (this.ended) return;
    if (streamGone(this.base)) this.finishCancelled();
    else this.finish(callStatus.code, callStatus.details);
  }

  private finishCancelled(): void {
    if (this.ended) return;
    // grpc-js ends a call whose deadline passed without going through sendStatus.
    const deadline = this.base.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    const expired = deadlineMs - Date.now() <= DEADLINE_SLACK_MS;
    this.finish(
      expired ? status.DEADLINE_EXCEEDED : status.CANCELLED,
      expired ? 'Deadline exceeded' : 'Cancelled',
    );
  }

  /** Once per call, at its end: metrics, span and log line. */
  private finish(code: status, details: string): void {
    if (this.ended) return;
    this.ended = true;
    const { logger, slowCallMs } = this.settings;
    const elapsedMs = performance.now() - this.started;
    if (this.points) recordCallEnd(this.points, code, elapsedMs / 1000, this.sentBytes, this.receivedBytes);
    const span = this.span;
    if (span) endServerSpan(span, code, details);
    const level = callLogLevel(code, this.unary, elapsedMs, slowCallMs);
    if (!logger.isLevelEnabled(level)) return;
    const fields = {
      requestId: this.requestId,
      method: this.method,
      code: status[code],
      durationMs: Math.round(elapsedMs * 1000) / 1000,
      ...(code === status.OK ? {} : { details }),
      ...(span && traceFieldsOf(span)),
    };
    logger[level](fields, 'call');
  }
}

/**
 * The level of a call's log line: debug for a unary call that ended OK within `slowCallMs`, info
 * for any other success, error when the server failed (SERVER_FAULTS), warn for the rest. The
 * gateway logs its calls by the same rule.
 */
export function callLogLevel(
  code: status,
  unary: boolean,
  elapsedMs: number,
  slowCallMs = SLOW_CALL_MS,
): 'debug' | 'info' | 'warn' | 'error' {
  if (code === status.OK) return unary && elapsedMs < slowCallMs ? 'debug' : 'info';
  return SERVER_FAULTS.has(code) ? 'error' : 'warn';
}
