import {
  type Env,
  readChannelTls,
  readServerConfig,
  readTarget,
  readToken,
  type ServerConfig,
} from '@repo/server-kit';
import type { TlsPems } from '@repo/wire';

const DEFAULT_PORT = 50052;
/** The Greeter's metrics port plus one, so that both run on one host. */
const DEFAULT_METRICS_PORT = 9465;
const DEFAULT_GREETER_ADDR = 'localhost:50051';

export interface StreamConfig extends Readonly<ServerConfig> {
  /** Where the Greeter is (GREETER_ADDR): host:port, or dns:///host:port for every replica. */
  readonly greeterAddr: string;
  /** Sent to the Greeter as `authorization: Bearer <it>` (GREETER_TOKEN: the Greeter's AUTH_TOKEN). */
  readonly greeterToken?: string;
  /**
   * TLS to the Greeter: GREETER_CA_FILE, the CA its certificate must chain to, and for mTLS
   * GREETER_CERT_FILE and GREETER_KEY_FILE, this service's client certificate; unset: plaintext.
   */
  readonly greeterTls?: TlsPems;
}

/** Parses the environment once; throws ConfigError naming a bad value. */
export function readConfig(env: Env = process.env): StreamConfig {
  return Object.freeze({
    ...readServerConfig(env, { port: DEFAULT_PORT, metricsPort: DEFAULT_METRICS_PORT }),
    greeterAddr: readTarget(env, 'GREETER_ADDR', DEFAULT_GREETER_ADDR),
    greeterToken: readToken(env, 'GREETER_TOKEN'),
    greeterTls: readChannelTls(env, 'GREETER'),
  });
}
