import { type Metadata, status } from '@grpc/grpc-js';
import type { Attributes, TextMapGetter, Tracer } from '@opentelemetry/api';
import type { CounterPoint, MetricRegistry, Series } from './registry';

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
function statusNameOf(code: status): string {
  return status[code] ?? String(code);
}
