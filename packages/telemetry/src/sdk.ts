// Loaded only when tracing is on (see startTelemetry): NodeSDK, with its span exporters, costs
// ~65 ms more start-up than the metrics alone (meters.ts).
import { trace } from '@opentelemetry/api';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  INSTRUMENTATION_SCOPE,
  metricReadersOf,
  type SdkOptions,
  type SdkPlan,
  type StartedSdk,
  serveReader,
} from './readers';

/** A span processor that drops every span: ids and propagation without an exporter. */
const DISCARD: SpanProcessor = {
  onStart: () => {},
  onEnd: () => {},
  forceFlush: async () => {},
  shutdown: async () => {},
};

/** @public (start.ts loads this module lazily, with require) */
export async function startSdk(plan: SdkPlan, options: SdkOptions): Promise<StartedSdk> {
  const { readers, prometheus } = metricReadersOf(plan, options.registry);
  const sdk = new NodeSDK({
    ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: options.serviceName }),
    metricReaders: readers,
    // No spanProcessors: the SDK builds the exporter OTEL_TRACES_EXPORTER and the protocol name.
    ...(plan.traces === 'exported' ? {} : { spanProcessors: [DISCARD] }),
    logRecordProcessors: [],
    instrumentations: readers.length > 0 ? [new RuntimeNodeInstrumentation()] : [],
  });
  sdk.start();
  const server = await serveReader(prometheus, options, () => sdk.shutdown());
  return {
    tracer: trace.getTracer(INSTRUMENTATION_SCOPE),
    metricsPort: server?.port,
    shutdown: async () => {
      await Promise.all([server?.close(), sdk.shutdown()]);
    },
  };
}
