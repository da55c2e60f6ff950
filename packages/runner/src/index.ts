export { envNameOf } from './env-name';
export { formatLogLine } from './log-format';
export { type RunOptions, type RunResult, run, runNode } from './run';
export {
  type Readiness,
  type ServiceProcess,
  type StartOptions,
  startService,
} from './service-process';
export type { ReadinessProbe } from './serving';
export { type ProcessUsage, usageOf } from './usage';
