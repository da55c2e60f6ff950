import { setTimeout as sleep } from 'node:timers/promises';
import type { Tracer } from '@opentelemetry/api';
import type { SdkPlan } from './readers';
import { MetricRegistry } from './registry';

/** The environment telemetry is configured from. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface TelemetryOptions {
  /** `service.name` when OTEL_SERVICE_NAME does not set one. */
  serviceName: string;
  /** Serve Prometheus's text format on `GET /metrics` at this port; 0 or unset: no endpoint. */
  metricsPort?: number;
  /** Interface of the metrics endpoint (default: every interface). */
  metricsHost?: string;
  /**
   * Create spans even when no exporter is configured (a CLI's `--trace`: the trace id is printed
   * and propagated, so the services' spans can be found by it).
   */
  forceTracing?: boolean;
}

/** What the kits instrument calls with; a missing part is off and costs nothing per call. */
export interface Telemetry {
  /** Set when spans are recorded: an OTLP endpoint or OTEL_TRACES_EXPORTER is configured. */
  readonly tracer: Tracer | undefined;
  /**
   * Set when metrics are read (the Prometheus endpoint, OTLP, or both): what the kits record
   * gRPC's standard metrics into, exported with the SDK's own (runtime metrics).
   */
  readonly metrics: MetricRegistry | undefined;
  /** The port `/metrics` is served on; undefined when it is not. */
  readonly metricsPort: number | undefined;
  /**
   * Exports what is buffered (spans, a last metrics push) and closes the metrics endpoint;
   * resolves within `timeoutMs` (default 3 s) even when a collector does not answer.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** Telemetry that records nothing: OTEL_SDK_DISABLED, or nothing configured. */
export const NO_TELEMETRY: Telemetry = Object.freeze({
  tracer: undefined,
  metrics: undefined,
  metricsPort: undefined,
  shutdown: async () => {},
});

/**
 * Starts the OpenTelemetry SDK from the standard environment variables and registers it
 * globally (W3C trace context, AsyncLocalStorage context):
 *
 * - Traces are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT (or
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, with OTEL_EXPORTER_OTLP_PROTOCOL `http/protobuf`
 *   (the default), `http/json` or `grpc`, sampled by OTEL_TRACES_SAMPLER; an explicit
 *   OTEL_TRACES_EXPORTER (`console`, `zipkin`, `otlp`) also turns them on. Otherwise no span
 *   is made.
 * - Metrics go to `GET /metrics` at `metricsPort` for Prometheus, and are pushed over OTLP
 *   every OTEL_METRIC_EXPORT_INTERVAL when an endpoint is set (unless OTEL_METRICS_EXPORTER
 *   leaves out `otlp`). Node's runtime metrics (event loop delay, heap, GC) come with them.
 * - OTEL_SDK_DISABLED=true turns all of it off, the metrics endpoint included.
 *
 * When nothing is on, the SDK is not even loaded (it adds ~120 ms to a process's start).
 * Rejects when the metrics port cannot be bound.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  // The SDK and its exporters read process.env themselves: so does this, to agree with them.
  const plan = planOf(options, process.env);
  if (plan.traces === 'off' && !plan.prometheus && plan.otlpMetrics === undefined) return NO_TELEMETRY;
  // Metrics alone, the default, do without NodeSDK (see meters.ts).
  const { startSdk } = (
    plan.traces === 'off' ? require('./meters') : require('./sdk')
  ) as typeof import('./sdk');
  const metrics = plan.prometheus || plan.otlpMetrics !== undefined ? new MetricRegistry() : undefined;
  const started = await startSdk(plan, { ...options, registry: metrics ?? new MetricRegistry() });
  return {
    ...started,
    metrics,
    shutdown: async (timeoutMs = 3_000) => {
      await Promise.race([started.shutdown(), sleep(timeoutMs, undefined, { ref: false })]);
    },
  };
}

/** What the environment and the options switch on. */
export function planOf(options: TelemetryOptions, env: Env): SdkPlan {
  if (isTrue(env.OTEL_SDK_DISABLED)) return { traces: 'off', prometheus: false, otlpMetrics: undefined };
  const exporters = listOf(env.OTEL_TRACES_EXPORTER);
  const exported =
    !exporters.includes('none') &&
    (exporters.length > 0 ||
      Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT));
  const metricExporters = listOf(env.OTEL_METRICS_EXPORTER);
  const pushMetrics =
    (metricExporters.length === 0 || metricExporters.includes('otlp')) &&
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
  return {
    traces: exported ? 'exported' : options.forceTracing ? 'unexported' : 'off',
    prometheus: (options.metricsPort ?? 0) > 0,
    otlpMetrics: pushMetrics
      ? (env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim()
      : undefined,
  };
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}

function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
