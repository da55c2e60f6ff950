import {
  Metadata,
  ResponderBuilder,
  ServerInterceptingCall,
  type ServerInterceptor,
  ServerListenerBuilder,
  status,
} from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';
import { ensureRequestId, REQUEST_ID_HEADER, SERVED_BY_HEADER } from './call-context';
import { endServerSpan, type ServerCallTelemetry } from './call-telemetry';
import { INSTANCE, type Logger, traceFieldsOf } from './logger';
import { countMessageBytes, type MessageBytes } from './message-bytes';

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
export const SLOW_CALL_MS = 1_000;

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
 */
export function createCallLogInterceptor(
  logger: Logger,
  telemetry?: ServerCallTelemetry,
  slowCallMs = SLOW_CALL_MS,
): ServerInterceptor {
  const metrics = telemetry?.metrics;
  return (methodDescriptor, call) => {
    const started = performance.now();
    const method = methodDescriptor.path;
    const name = method.slice(1);
    const unary = !methodDescriptor.requestStream && !methodDescriptor.responseStream;
    metrics?.callStarted(name);
    const bytes: MessageBytes | undefined = metrics && countMessageBytes(call);
    let span: Span | undefined;
    let requestId = '';
    let headersSent = false;
    let ended = false;
    // Once per call, at its end: metrics, span and log line.
    const finish = (code: status, details: string) => {
      if (ended) return;
      ended = true;
      const elapsedMs = performance.now() - started;
      if (metrics && bytes) metrics.callEnded(name, code, elapsedMs / 1000, bytes.sent, bytes.received);
      if (span) endServerSpan(span, code, details);
      const level = levelOf(code, unary && elapsedMs < slowCallMs);
      if (!logger.isLevelEnabled(level)) return;
      const durationMs = Math.round(elapsedMs * 1000) / 1000;
      const fields = {
        requestId,
        method,
        code: status[code],
        durationMs,
        ...(code === status.OK ? {} : { details }),
        ...(span && traceFieldsOf(span)),
      };
      logger[level](fields, 'call');
    };
    const finishCancelled = () => {
      // grpc-js ends a call whose deadline passed without going through sendStatus.
      const deadline = call.getDeadline();
      const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
      const expired = deadlineMs - Date.now() <= DEADLINE_SLACK_MS;
      finish(
        expired ? status.DEADLINE_EXCEEDED : status.CANCELLED,
        expired ? 'Deadline exceeded' : 'Cancelled',
      );
    };
    // A status for a stream the client has reset is dropped by grpc-js: what the call got is the
    // reset. Since Node 24, a response write still in flight when the reset comes completes
    // without an error, so a handler can get as far as its status (OK, say) after the reset.
    const http2Stream = http2StreamOf(call);
    const finishWith = (callStatus: { code: status; details: string }) => {
      if (http2Stream && (http2Stream.destroyed || http2Stream.closed)) finishCancelled();
      else finish(callStatus.code, callStatus.details);
    };
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        requestId = ensureRequestId(metadata);
        if (!method.startsWith(UNTRACED_SERVICE)) span = telemetry?.startSpan(name, metadata);
        next(metadata);
      })
      .withOnCancel(finishCancelled)
      .build();
    // grpc-js answers some calls from inside its base call, without going through any
    // interceptor's responder: a request it cannot decode or decompress, a message over the size
    // limits. Those statuses reach only the base call's own sendStatus; logged there, they appear
    // under their real code instead of as a cancellation. (This interceptor is the first, so
    // `call` is the base call; `finish` runs once per call either way.)
    const sendStatus = call.sendStatus.bind(call);
    call.sendStatus = (callStatus) => {
      finishWith(callStatus);
      sendStatus(callStatus);
    };
    const responder = new ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendMetadata((metadata, next) => {
        headersSent = true;
        metadata.set(REQUEST_ID_HEADER, requestId);
        metadata.set(SERVED_BY_HEADER, INSTANCE);
        next(metadata);
      })
      .withSendStatus((callStatus, next) => {
        finishWith(callStatus);
        if (headersSent) {
          next(callStatus);
          return;
        }
        // A call that fails before sending anything gets a trailers-only response: without this,
        // its client would not learn the request id under which the failure was logged.
        const metadata = callStatus.metadata?.clone() ?? new Metadata();
        metadata.set(REQUEST_ID_HEADER, requestId);
        metadata.set(SERVED_BY_HEADER, INSTANCE);
        next({ ...callStatus, metadata });
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}

/**
 * The HTTP/2 stream of grpc-js's base call (a private field of it), whose state decides whether
 * grpc-js still sends a status: it drops one for a stream already closed or destroyed. Undefined
 * when `call` is not the base call (this interceptor is not the first) or grpc-js changed; the
 * call-log tests then fail on a reset call logged as OK.
 */
function http2StreamOf(call: object): { readonly closed: boolean; readonly destroyed: boolean } | undefined {
  const stream = (call as { stream?: unknown }).stream;
  if (typeof stream !== 'object' || stream === null) return undefined;
  const { closed, destroyed } = stream as { closed?: unknown; destroyed?: unknown };
  return typeof closed === 'boolean' && typeof destroyed === 'boolean'
    ? (stream as { closed: boolean; destroyed: boolean })
    : undefined;
}

function levelOf(code: status, fastUnary: boolean): 'debug' | 'info' | 'warn' | 'error' {
  if (code === status.OK) return fastUnary ? 'debug' : 'info';
  return SERVER_FAULTS.has(code) ? 'error' : 'warn';
}
