import { type Env, readServerConfig, readTarget, type ServerConfig } from '@repo/server-kit';

export const DEFAULT_PORT = 50052;
export const DEFAULT_GREETER_ADDR = 'localhost:50051';

export interface StreamConfig extends Readonly<ServerConfig> {
  /** Where the Greeter is (GREETER_ADDR): host:port, or dns:///host:port for every replica. */
  readonly greeterAddr: string;
}

/** Parses the environment once; throws ConfigError naming a bad value. */
export function readConfig(env: Env = process.env): StreamConfig {
  return Object.freeze({
    ...readServerConfig(env, { port: DEFAULT_PORT }),
    greeterAddr: readTarget(env, 'GREETER_ADDR', DEFAULT_GREETER_ADDR),
  });
}
