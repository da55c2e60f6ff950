// Loaded when metrics are on and tracing is off, the services' default (see startTelemetry): a
// MeterProvider of our own, without NodeSDK, whose tracing, configuration and exporters would
// cost ~65 ms more start-up (BENCHMARKS.md). The resource is the one NodeSDK would build.
import { metrics } from '@opentelemetry/api';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import {
  defaultResource,
  detectResources,
  emptyResource,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { metricReadersOf, type SdkOptions, type SdkPlan, type StartedSdk, serveReader } from './readers';

/** @public (start.ts loads this module lazily, with require) */
export async function startSdk(plan: SdkPlan, options: SdkOptions): Promise<StartedSdk> {
  const { readers, prometheus } = metricReadersOf(plan, options.registry);
  const detectors = [serviceInstanceIdDetector, processDetector, hostDetector, osDetector, envDetector];
  const resource = defaultResource()
    .merge(detectResources({ detectors }))
    .merge(
      process.env.OTEL_SERVICE_NAME
        ? emptyResource()
        : resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    );
  const provider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(provider);
  const runtime = new RuntimeNodeInstrumentation();
  runtime.setMeterProvider(provider);
  const stop = async () => {
    runtime.disable();
    await provider.shutdown();
    metrics.disable();
  };
  const server = await serveReader(prometheus, options, stop);
  return {
    tracer: undefined,
    metricsPort: server?.port,
    shutdown: async () => {
      await Promise.all([server?.close(), stop()]);
    },
  };
}
