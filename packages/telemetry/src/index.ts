export type { SdkPlan } from './readers';
export {
  CounterPoint,
  HistogramPoint,
  type InstrumentDescriptor,
  MetricRegistry,
  Series,
} from './registry';
export {
  type Env,
  NO_TELEMETRY,
  planOf,
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
} from './start';
