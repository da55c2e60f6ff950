export { prometheusNameOf, withUnitSuffixes } from './prometheus';
export type { SdkPlan } from './sdk';
export {
  type Env,
  NO_TELEMETRY,
  planOf,
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
} from './start';
