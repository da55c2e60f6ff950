import type { Metadata } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import {
  type Context,
  type Counter,
  type Histogram,
  type Meter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  attributeCache,
  type CallTelemetry,
  DURATION_BUCKETS_S,
  METADATA_GETTER,
  rpcAttributesOf,
  SIZE_BUCKETS_BYTES,
} from '@repo/client-kit';

/** gRFC A66: a method the server does not know is recorded under this name, so that scanners cannot add series. */
export const OTHER_METHOD = 'other';

/**
 * Codes that mark a server span as an error (OpenTelemetry's RPC conventions): the others
 * (INVALID_ARGUMENT, NOT_FOUND, ...) are the client's doing, and are recorded as the code only.
 */
const SERVER_SPAN_ERRORS = new Set([
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.UNIMPLEMENTED,
  status.INTERNAL,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

/** The span context of each call being served, by its request metadata (the handler's call shares it). */
const callContexts = new WeakMap<Metadata, Context>();

/**
 * The OpenTelemetry context of a call, with its SERVER span active: run its handler in it, so
 * that its log lines and the calls it makes belong to the call's trace. Undefined when tracing is off.
 */
export function contextOfCall(metadata: Metadata): Context | undefined {
  return callContexts.get(metadata);
}

/**
 * The server side of gRPC's standard metrics (gRFC A66: `grpc.server.call.started`,
 * `grpc.server.call.duration`, `grpc.server.call.sent_total_compressed_message_size`,
 * `grpc.server.call.rcvd_total_compressed_message_size`, by `grpc.method` and `grpc.status`)
 * and a SERVER span per call, continuing the caller's W3C trace context.
 */
export class ServerCallTelemetry {
  readonly tracer: Tracer | undefined;
  readonly metrics: ServerMetrics | undefined;

  constructor({ tracer, meter }: CallTelemetry) {
    this.tracer = tracer;
    this.metrics = meter && new ServerMetrics(meter);
  }

  /** Starts the call's span, child of the trace context in its metadata; undefined when tracing is off. */
  startSpan(method: string, metadata: Metadata): Span | undefined {
    if (!this.tracer) return undefined;
    const parent = propagation.extract(ROOT_CONTEXT, metadata, METADATA_GETTER);
    const span = this.tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: rpcAttributesOf(method) },
      parent,
    );
    callContexts.set(metadata, trace.setSpan(parent, span));
    return span;
  }
}

/** Ends a server span with the call's status. */
export function endServerSpan(span: Span, code: status, details: string): void {
  span.setAttribute('rpc.grpc.status_code', code);
  if (SERVER_SPAN_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: details });
  span.end();
}

/** A66's server instruments. */
export class ServerMetrics {
  private readonly started: Counter;
  private readonly duration: Histogram;
  private readonly sent: Histogram;
  private readonly received: Histogram;
  private readonly byMethod = attributeCache((method) => ({ 'grpc.method': method }));
  private readonly byMethodStatus = attributeCache((key) => {
    const [method, code] = key.split(' ');
    return { 'grpc.method': method, 'grpc.status': status[Number(code)] ?? String(code) };
  });

  constructor(meter: Meter) {
    this.started = meter.createCounter('grpc.server.call.started', {
      unit: '{call}',
      description: 'Number of server calls started.',
    });
    this.duration = meter.createHistogram('grpc.server.call.duration', {
      unit: 's',
      description: 'End-to-end time taken to complete a call from server transport perspective.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    const size = { unit: 'By', advice: { explicitBucketBoundaries: SIZE_BUCKETS_BYTES } };
    this.sent = meter.createHistogram('grpc.server.call.sent_total_compressed_message_size', {
      ...size,
      description: 'Compressed message bytes sent per server call.',
    });
    this.received = meter.createHistogram('grpc.server.call.rcvd_total_compressed_message_size', {
      ...size,
      description: 'Compressed message bytes received per server call.',
    });
  }

  /** `method` is the full name without the leading slash, or OTHER_METHOD. */
  callStarted(method: string): void {
    this.started.add(1, this.byMethod(method));
  }

  callEnded(method: string, code: status, seconds: number, sentBytes: number, receivedBytes: number): void {
    const attributes = this.byMethodStatus(`${method} ${code}`);
    this.duration.record(seconds, attributes);
    this.sent.record(sentBytes, attributes);
    this.received.record(receivedBytes, attributes);
  }
}
