import {
  ConfigError,
  type Env,
  readChannelTls,
  readServerConfig,
  readTarget,
  readToken,
  type ServerConfig,
} from '@repo/server-kit';
import type { TlsPems } from '@repo/wire';

const DEFAULT_PORT = 8080;
/** The stream service's metrics port plus one, so that the stack runs on one host. */
const DEFAULT_METRICS_PORT = 9466;

/** A service behind the gateway: where it is, and how to reach it. */
export interface BackendConfig {
  /** host:port, or dns:///host:port for every replica (<NAME>_ADDR). */
  readonly addr: string;
  /** Sent as `authorization: Bearer <it>` (<NAME>_TOKEN: the service's AUTH_TOKEN). */
  readonly token?: string;
  /** TLS to it (<NAME>_CA_FILE, and <NAME>_CERT_FILE with <NAME>_KEY_FILE for mTLS); unset: plaintext. */
  readonly tls?: TlsPems;
}

export interface GatewayConfig extends Readonly<ServerConfig> {
  readonly greeter: BackendConfig;
  readonly stream: BackendConfig;
  /**
   * Origins a browser page may call the gateway from (CORS_ORIGINS, comma-separated, each
   * `scheme://host[:port]`, or `*` for any origin, never with credentials). Unset: none but the
   * gateway's own, which needs no CORS (the page it serves at `/`).
   */
  readonly corsOrigins: readonly string[];
}

/** Parses the environment once; throws ConfigError naming a bad value. */
export function readConfig(env: Env = process.env): GatewayConfig {
  return Object.freeze({
    ...readServerConfig(env, { port: DEFAULT_PORT, metricsPort: DEFAULT_METRICS_PORT }),
    greeter: readBackend(env, 'GREETER', 'localhost:50051'),
    stream: readBackend(env, 'STREAM', 'localhost:50052'),
    corsOrigins: readOrigins(env, 'CORS_ORIGINS'),
  });
}

function readBackend(env: Env, prefix: string, fallback: string): BackendConfig {
  return Object.freeze({
    addr: readTarget(env, `${prefix}_ADDR`, fallback),
    token: readToken(env, `${prefix}_TOKEN`),
    tls: readChannelTls(env, prefix),
  });
}

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/i;

function readOrigins(env: Env, name: string): readonly string[] {
  const raw = env[name]?.trim();
  if (!raw) return Object.freeze([]);
  const origins = raw.split(',').map((origin) => origin.trim().replace(/\/$/, ''));
  for (const origin of origins) {
    if (origin !== '*' && !ORIGIN.test(origin)) {
      throw new ConfigError(
        `${name} must be a comma-separated list of origins such as https://example.com:8443, or *, got "${origin}"`,
      );
    }
  }
  return Object.freeze(origins.map((origin) => origin.toLowerCase()));
}
