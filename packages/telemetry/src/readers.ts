import type { Tracer } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import {
  type MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { producerOf } from './producer';
import { serveMetrics } from './prometheus';
import type { MetricRegistry } from './registry';

export interface SdkPlan {
  /** `exported`: by the exporter the OTEL_* variables name; `unexported`: spans and ids only. */
  traces: 'exported' | 'unexported' | 'off';
  /** Serve `/metrics`. */
  prometheus: boolean;
  /** The OTLP protocol metrics are pushed with; undefined: not pushed. */
  otlpMetrics: string | undefined;
}

export interface SdkOptions {
  serviceName: string;
  /** What the kits record: every reader exports it. */
  registry: MetricRegistry;
  metricsPort?: number;
  metricsHost?: string;
}

/** What an SDK start (sdk.ts or meters.ts) gives startTelemetry. */
export interface StartedSdk {
  tracer: Tracer | undefined;
  metricsPort: number | undefined;
  shutdown(): Promise<void>;
}

export const INSTRUMENTATION_SCOPE = '@repo/telemetry';

/**
 * The metric readers the plan asks for, `/metrics` (served by serveReader) and OTLP pushes, each
 * exporting the registry with the SDK's own instruments.
 */
export function metricReadersOf(
  plan: SdkPlan,
  registry: MetricRegistry,
): { readers: MetricReader[]; prometheus?: PrometheusExporter } {
  const metricProducers = [producerOf(registry, INSTRUMENTATION_SCOPE)];
  const prometheus = plan.prometheus
    ? new PrometheusExporter({ preventServerStart: true, metricProducers })
    : undefined;
  const readers: MetricReader[] = prometheus ? [prometheus] : [];
  if (plan.otlpMetrics !== undefined) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: metricExporterOf(plan.otlpMetrics),
        metricProducers,
        ...intervalOf(),
      }),
    );
  }
  return { readers, prometheus };
}

/**
 * Serves `/metrics` for `prometheus` (when the plan has it) and resolves with its port; runs
 * `undo` and rethrows when the port cannot be bound.
 */
export async function serveReader(
  prometheus: PrometheusExporter | undefined,
  options: SdkOptions,
  undo: () => Promise<void>,
): Promise<Awaited<ReturnType<typeof serveMetrics>> | undefined> {
  if (!prometheus) return undefined;
  try {
    return await serveMetrics(prometheus, options.metricsHost, options.metricsPort ?? 0);
  } catch (err: unknown) {
    await undo();
    throw err;
  }
}

/**
 * The OTLP metric exporter for `protocol`, loaded only when metrics are pushed: together the
 * three cost a service tens of ms of start-up it otherwise does not need.
 */
function metricExporterOf(protocol: string): PushMetricExporter {
  switch (protocol) {
    case 'grpc':
      return new (
        require('@opentelemetry/exporter-metrics-otlp-grpc') as GrpcExporterModule
      ).OTLPMetricExporter();
    case 'http/json':
      return new (
        require('@opentelemetry/exporter-metrics-otlp-http') as HttpExporterModule
      ).OTLPMetricExporter();
    default:
      return new (
        require('@opentelemetry/exporter-metrics-otlp-proto') as ProtoExporterModule
      ).OTLPMetricExporter();
  }
}

type GrpcExporterModule = typeof import('@opentelemetry/exporter-metrics-otlp-grpc');
type HttpExporterModule = typeof import('@opentelemetry/exporter-metrics-otlp-http');
type ProtoExporterModule = typeof import('@opentelemetry/exporter-metrics-otlp-proto');

/** OTEL_METRIC_EXPORT_INTERVAL, with the timeout no longer than it. */
function intervalOf(): { exportIntervalMillis?: number; exportTimeoutMillis?: number } {
  const interval = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL);
  if (!(interval > 0)) return {};
  return { exportIntervalMillis: interval, exportTimeoutMillis: Math.min(interval, 30_000) };
}
