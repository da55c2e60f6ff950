import {
  InterceptingCall,
  type Interceptor,
  ListenerBuilder,
  type Metadata,
  RequesterBuilder,
  status,
} from '@grpc/grpc-js';
import {
  type Attributes,
  type Context,
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { CounterPoint, HistogramPoint, MetricRegistry, Series } from '@repo/telemetry';

/**
 * What a client or server instruments its calls with (from `@repo/telemetry`'s startTelemetry;
 * the tracer may be any OpenTelemetry SDK's). A part that is missing is off and costs nothing
 * per call.
 */
export interface CallTelemetry {
  tracer?: Tracer | undefined;
  /**
   * Where gRPC's standard metrics (gRFC A66) are recorded: startTelemetry's, or one of your own
   * exported through `producerOf` (`@repo/telemetry/producer`) by your SDK's readers.
   */
  metrics?: MetricRegistry | undefined;
}

/**
 * gRFC A66's bucket boundaries for latency histograms, in seconds: what every gRPC language
 * uses, so that quantiles compare across them.
 */
export const DURATION_BUCKETS_S = [
  0, 0.00001, 0.00005, 0.0001, 0.0003, 0.0006, 0.0008, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01,
  0.013, 0.016, 0.02, 0.025, 0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.65,
  0.8, 1, 2, 5, 10, 20, 50, 100,
];

/** gRFC A66's bucket boundaries for message size histograms, in bytes. */
export const SIZE_BUCKETS_BYTES = [
  0, 1024, 2048, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824,
  4294967296,
];

/** Reads W3C trace context (`traceparent`, `tracestate`, `baggage`) from gRPC metadata. */
export const METADATA_GETTER: TextMapGetter<Metadata> = {
  get: (metadata, key) => {
    const values = metadata.get(key);
    return values.length === 0 ? undefined : values.map(String);
  },
  keys: (metadata) => Object.keys(metadata.getMap()),
};

/** Writes W3C trace context into gRPC metadata. */
export const METADATA_SETTER: TextMapSetter<Metadata> = {
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

/** `rpc.*` span attributes of a method path without its leading slash (`helloworld.Greeter/SayHello`). */
export function rpcAttributesOf(method: string): Attributes {
  const slash = method.lastIndexOf('/');
  return {
    'rpc.system': 'grpc',
    'rpc.service': method.slice(0, slash),
    'rpc.method': method.slice(slash + 1),
  };
}

/**
 * The points of one method's series: `started`, and those of its calls' ends by status code, each
 * made on the first call that ends with its code. A call records into these directly: no key is
 * built, no attributes hashed.
 */
export class MethodPoints<Ended> {
  private readonly byCode: (Ended | undefined)[] = [];

  constructor(
    readonly started: CounterPoint,
    private readonly makeEnded: (code: status) => Ended,
  ) {}

  endedWith(code: status): Ended {
    let ended = this.byCode[code];
    if (ended === undefined) {
      ended = this.makeEnded(code);
      this.byCode[code] = ended;
    }
    return ended;
  }
}

/**
 * The MethodPoints of each method, made on its first call: its point of `started`, under
 * `attributesOf(method)`, and for each status code the points `endedOf` takes from its series,
 * under the same attributes and `grpc.status`.
 */
export function methodPointsCache<Ended>(
  started: Series<CounterPoint>,
  attributesOf: (method: string) => Attributes,
  endedOf: (key: string, attributes: () => Attributes) => Ended,
): (method: string) => MethodPoints<Ended> {
  const made = new Map<string, MethodPoints<Ended>>();
  const make = (method: string) => {
    const byMethod = attributesOf(method);
    const key = Object.values(byMethod).join(' ');
    return new MethodPoints(
      started.point(key, () => byMethod),
      (code) => endedOf(`${key} ${code}`, () => ({ ...byMethod, 'grpc.status': statusNameOf(code) })),
    );
  };
  return (method) => {
    let points = made.get(method);
    if (points === undefined) {
      points = make(method);
      made.set(method, points);
    }
    return points;
  };
}

/** The name of a status code in metrics (`grpc.status`): `OK`, `UNAVAILABLE`, or the number. */
export function statusNameOf(code: status): string {
  return status[code] ?? String(code);
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
