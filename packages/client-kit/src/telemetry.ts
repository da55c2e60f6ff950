import {
  InterceptingCall,
  type Interceptor,
  ListenerBuilder,
  type Metadata,
  RequesterBuilder,
  status,
} from '@grpc/grpc-js';
import {
  type Context,
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import {
  type CallTelemetry,
  DURATION_BUCKETS_S,
  type HistogramPoint,
  type MethodPoints,
  type MetricRegistry,
  methodPointsCache,
  rpcAttributesOf,
} from '@repo/telemetry';

/** Writes W3C trace context into gRPC metadata. */
const METADATA_SETTER: TextMapSetter<Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};

/** Puts the context's trace (the active one by default) into outgoing metadata. */
export function injectTraceContext(metadata: Metadata, from: Context = context.active()): void {
  propagation.inject(from, metadata, METADATA_SETTER);
}

/**
 * The client side of gRPC's standard metrics (gRFC A66) and of OpenTelemetry's RPC spans, as a
 * grpc-js client interceptor. Each call gets a CLIENT span, child of the active context, whose
 * W3C trace context travels in the request metadata; it ends with the call's status
 * (`rpc.grpc.status_code`; every code but OK is an error). The metrics are
 * `grpc.client.attempt.started`, `grpc.client.attempt.duration` and `grpc.client.call.duration`,
 * by `grpc.method`, `grpc.target` and `grpc.status`. An interceptor sees a call, not its attempts:
 * a call grpc-js retries transparently counts as one attempt.
 */
export function createTelemetryInterceptor(telemetry: CallTelemetry, target: string): Interceptor {
  const { tracer } = telemetry;
  const metrics = telemetry.metrics && new ClientMetrics(telemetry.metrics, target);
  return (options, nextCall) => {
    const method = options.method_definition.path.slice(1);
    const started = performance.now();
    const parent = context.active();
    const span = tracer?.startSpan(
      method,
      { kind: SpanKind.CLIENT, attributes: rpcAttributesOf(method) },
      parent,
    );
    const points = metrics?.of(method);
    points?.started.add(1);
    const end = (code: status, details: string) => {
      if (points) {
        const seconds = (performance.now() - started) / 1000;
        const ended = points.endedWith(code);
        ended.attempt.record(seconds);
        ended.call.record(seconds);
      }
      if (span) {
        span.setAttribute('rpc.grpc.status_code', code);
        if (code !== status.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: details });
        span.end();
      }
    };
    const requester = new RequesterBuilder()
      .withStart((metadata, _listener, next) => {
        if (span) injectTraceContext(metadata, trace.setSpan(parent, span));
        next(
          metadata,
          new ListenerBuilder()
            .withOnReceiveStatus((callStatus, nextStatus) => {
              end(callStatus.code, callStatus.details);
              nextStatus(callStatus);
            })
            .build(),
        );
      })
      .build();
    return new InterceptingCall(nextCall(options), requester);
  };
}

interface ClientEnded {
  attempt: HistogramPoint;
  call: HistogramPoint;
}

/** A66's client instruments. */
class ClientMetrics {
  readonly of: (method: string) => MethodPoints<ClientEnded>;

  constructor(registry: MetricRegistry, target: string) {
    const attemptStarted = registry.counter({
      name: 'grpc.client.attempt.started',
      unit: '{attempt}',
      description: 'Number of client call attempts started.',
    });
    const attemptDuration = registry.histogram(
      {
        name: 'grpc.client.attempt.duration',
        unit: 's',
        description: 'End-to-end time taken to complete a client call attempt.',
      },
      DURATION_BUCKETS_S,
    );
    const callDuration = registry.histogram(
      {
        name: 'grpc.client.call.duration',
        unit: 's',
        description: 'Time taken by gRPC to complete an RPC from application perspective.',
      },
      DURATION_BUCKETS_S,
    );
    this.of = methodPointsCache(
      attemptStarted,
      (method) => ({ 'grpc.method': method, 'grpc.target': target }),
      (key, attributes) => ({
        attempt: attemptDuration.point(key, attributes),
        call: callDuration.point(key, attributes),
      }),
    );
  }
}
