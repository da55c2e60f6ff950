export type { SdkPlan } from './readers';
export {
  type Env,
  NO_TELEMETRY,
  planOf,
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
} from './start';
