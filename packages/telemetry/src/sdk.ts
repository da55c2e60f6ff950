// Loaded only when some telemetry is on (see startTelemetry): the SDK and its exporters are
// most of a service's start-up time otherwise.
import { type Meter, metrics, type Tracer, trace } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import {
  type MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { serveMetrics } from './prometheus';

export interface SdkPlan {
  /** `exported`: by the exporter the OTEL_* variables name; `unexported`: spans and ids only. */
  traces: 'exported' | 'unexported' | 'off';
  /** Serve `/metrics`. */
  prometheus: boolean;
  /** The OTLP protocol metrics are pushed with; undefined: not pushed. */
  otlpMetrics: string | undefined;
}

const INSTRUMENTATION_SCOPE = '@repo/telemetry';

/** A span processor that drops every span: ids and propagation without an exporter. */
const DISCARD: SpanProcessor = {
  onStart: () => {},
  onEnd: () => {},
  forceFlush: async () => {},
  shutdown: async () => {},
};

export async function startSdk(
  plan: SdkPlan,
  options: { serviceName: string; metricsPort?: number; metricsHost?: string },
): Promise<{
  tracer: Tracer | undefined;
  meter: Meter | undefined;
  metricsPort: number | undefined;
  shutdown(): Promise<void>;
}> {
  const prometheus = plan.prometheus ? new PrometheusExporter({ preventServerStart: true }) : undefined;
  const readers: MetricReader[] = prometheus ? [prometheus] : [];
  if (plan.otlpMetrics !== undefined) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: metricExporterOf(plan.otlpMetrics),
        ...intervalOf(),
      }),
    );
  }
  const sdk = new NodeSDK({
    ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: options.serviceName }),
    metricReaders: readers,
    // No spanProcessors: the SDK builds the exporter OTEL_TRACES_EXPORTER and the protocol name.
    ...(plan.traces === 'exported' ? {} : { spanProcessors: plan.traces === 'unexported' ? [DISCARD] : [] }),
    logRecordProcessors: [],
    instrumentations: readers.length > 0 ? [new RuntimeNodeInstrumentation()] : [],
  });
  sdk.start();

  let server: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    if (prometheus) server = await serveMetrics(prometheus, options.metricsHost, options.metricsPort ?? 0);
  } catch (err: unknown) {
    await sdk.shutdown();
    throw err;
  }
  return {
    tracer: plan.traces === 'off' ? undefined : trace.getTracer(INSTRUMENTATION_SCOPE),
    meter: readers.length > 0 ? metrics.getMeter(INSTRUMENTATION_SCOPE) : undefined,
    metricsPort: server?.port,
    shutdown: async () => {
      await Promise.all([server?.close(), sdk.shutdown()]);
    },
  };
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
