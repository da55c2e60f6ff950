// NOT PRODUCT CODE. The other way to trace our services, measured against the kits' own tracing
// by `pnpm bench`: `@opentelemetry/instrumentation-grpc`, which patches grpc-js
// (Server.prototype.register, makeGenericClientConstructor, Client.prototype's make*Request)
// when grpc-js is loaded, so it has to run before anything loads grpc-js:
//
//   BENCH_OTEL_GRPC_ENDPOINT=http://127.0.0.1:4318 node --require <this file> services/greeter/dist/main.js
//
// It starts the OpenTelemetry NodeSDK with GrpcInstrumentation only, exporting every span (the
// default sampler, parentbased_always_on) over OTLP http/protobuf to BENCH_OTEL_GRPC_ENDPOINT
// through the default BatchSpanProcessor: the exporter the kits use, under the same OTEL_BSP_*
// settings. It reads a bench-only variable rather than OTEL_EXPORTER_OTLP_ENDPOINT so that the
// service's own telemetry keeps its tracing off (and its metrics as shipped). It registers no
// meter provider, so the service's own SDK still registers its /metrics one.
import { createRequire } from 'node:module';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';

const endpoint = process.env.BENCH_OTEL_GRPC_ENDPOINT;
if (!endpoint) throw new Error('otel-grpc-preload: set BENCH_OTEL_GRPC_ENDPOINT to an OTLP/HTTP endpoint');

// Enabled on construction: its require hook is in place before the SDK's own modules load
// grpc-js (sdk-node requires the OTLP gRPC exporters, which require grpc-js, at load).
const grpcInstrumentation = new GrpcInstrumentation();

const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
type SpanExporter = NonNullable<NonNullable<ConstructorParameters<typeof NodeSDK>[0]>['traceExporter']>;
// The exporter the SDK itself builds for OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, from its own
// dependencies (the bench does not depend on it directly).
const { OTLPTraceExporter } = createRequire(require.resolve('@opentelemetry/sdk-node'))(
  '@opentelemetry/exporter-trace-otlp-proto',
) as { OTLPTraceExporter: new (config: { url: string }) => SpanExporter };

/** `greeter` for services/greeter/dist/main.js; OTEL_SERVICE_NAME, when set, wins (the SDK reads it). */
const serviceName = /services\/([^/]+)\/dist\//.exec(process.argv[1] ?? '')?.[1] ?? 'unknown';

const sdk = new NodeSDK({
  ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName }),
  traceExporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }),
  metricReaders: [],
  logRecordProcessors: [],
  instrumentations: [grpcInstrumentation],
});
sdk.start();
