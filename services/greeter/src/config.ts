import { type Env, readServerConfig, type ServerConfig } from '@repo/server-kit';

export const DEFAULT_PORT = 50051;
/** Prometheus's registered port for OpenTelemetry exporters; the stream service takes the next. */
const DEFAULT_METRICS_PORT = 9464;

export type GreeterConfig = Readonly<ServerConfig>;

/** Parses the environment once; throws ConfigError naming a bad value. */
export function readConfig(env: Env = process.env): GreeterConfig {
  return Object.freeze(readServerConfig(env, { port: DEFAULT_PORT, metricsPort: DEFAULT_METRICS_PORT }));
}
