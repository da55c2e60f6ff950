export type { SdkPlan } from './readers';
export { type HistogramPoint, type InstrumentDescriptor, MetricRegistry } from './registry';
export {
  type CallTelemetry,
  DURATION_BUCKETS_S,
  METADATA_GETTER,
  MethodPoints,
  methodPointsCache,
  rpcAttributesOf,
  SIZE_BUCKETS_BYTES,
} from './rpc';
export {
  type Env,
  NO_TELEMETRY,
  planOf,
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
} from './start';
