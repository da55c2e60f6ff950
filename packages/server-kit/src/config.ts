import { isIP } from 'node:net';
import { MIN_TOKEN_LENGTH } from './auth';
// In a file of their own, so that tls.ts can use them without an import cycle.
import { ConfigError, type Env, readEnv as read, readInteger } from './env';
import { readServerLimits, type ServerLimits } from './limits';
import { readServerTls, type ServerTls } from './tls';

export { ConfigError, type Env, readInteger };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What every server reads from its environment: where to listen, how to log, and its limits. */
export interface ServerConfig extends ServerLimits {
  /** Interface to listen on (HOST). */
  host: string;
  /** TCP port to listen on (PORT); 0 picks a free one. */
  port: number;
  /** pino level (LOG_LEVEL). */
  logLevel: LogLevel;
  /** Port of the Prometheus `GET /metrics` endpoint, on HOST (METRICS_PORT); 0: none. */
  metricsPort: number;
  /**
   * A second port, plaintext, that serves grpc.health.v1 alone (HEALTH_PORT; 0: none): for
   * probes that cannot speak TLS, such as the kubelet's gRPC probe, when the service has TLS on.
   */
  healthPort: number;
  /** How long in-flight calls may run after SIGTERM before they are cancelled (SHUTDOWN_GRACE_MS). */
  shutdownGraceMs: number;
  /**
   * Every call but health and reflection must carry `authorization: Bearer <authToken>`
   * (AUTH_TOKEN; unset: no authentication).
   */
  authToken?: string;
  /**
   * TLS_CERT_FILE and TLS_KEY_FILE (and TLS_CLIENT_CA_FILE for mTLS), read at start-up;
   * unset: plaintext. See readServerTls.
   */
  tls?: ServerTls;
}

const SERVER_DEFAULTS = {
  host: 'localhost',
  logLevel: 'info',
  shutdownGraceMs: 10_000,
} as const;

/**
 * Reads HOST, PORT, LOG_LEVEL, METRICS_PORT, HEALTH_PORT, SHUTDOWN_GRACE_MS, AUTH_TOKEN, the TLS_* files and
 * the limits (see ServerLimits); throws ConfigError naming a bad value (a token's value is never
 * shown). Tracing and metrics export read the standard OTEL_* variables (see @repo/telemetry).
 */
export function readServerConfig(env: Env, defaults: { port: number; metricsPort: number }): ServerConfig {
  return {
    host: readHost(env, 'HOST', SERVER_DEFAULTS.host),
    port: readInteger(env, 'PORT', { fallback: defaults.port, min: 0, max: 65_535 }),
    logLevel: readChoice(env, 'LOG_LEVEL', LOG_LEVELS, SERVER_DEFAULTS.logLevel),
    metricsPort: readInteger(env, 'METRICS_PORT', { fallback: defaults.metricsPort, min: 0, max: 65_535 }),
    healthPort: readInteger(env, 'HEALTH_PORT', { fallback: 0, min: 0, max: 65_535 }),
    shutdownGraceMs: readInteger(env, 'SHUTDOWN_GRACE_MS', {
      fallback: SERVER_DEFAULTS.shutdownGraceMs,
      min: 0,
      max: 3_600_000,
    }),
    authToken: readToken(env, 'AUTH_TOKEN'),
    tls: readServerTls(env),
    ...readServerLimits(env),
  };
}

function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/**
 * A secret such as a bearer token: unset, or at least MIN_TOKEN_LENGTH visible ASCII characters
 * (what a metadata value can carry). The ConfigError names the variable, never the value.
 */
export function readToken(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (raw.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError(
      `${name} must be at least ${MIN_TOKEN_LENGTH} visible ASCII characters without spaces (value not shown)`,
    );
  }
  return raw;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A host name or an IP address (IPv6 with or without brackets), returned in bind-ready form. */
export function readHost(env: Env, name: string, fallback: string): string {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const bare = unbracket(raw);
  if (isIP(bare) === 6) return `[${bare}]`;
  if (isHost(bare)) return bare;
  throw new ConfigError(`${name} must be a host name or an IP address, got "${raw}"`);
}

/**
 * A gRPC target: `host:port`, `[v6]:port`, or a URI that grpc-js resolves itself
 * (`dns:///host:port`, `ipv4:`, `ipv6:`, `unix:`).
 */
export function readTarget(env: Env, name: string, fallback: string): string {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (/^(dns|ipv4|ipv6|unix|unix-abstract):/.test(raw)) return raw;
  const match = /^(\[[^\]]+\]|[^:/\s]+):(\d{1,5})$/.exec(raw);
  const host = match?.[1];
  const port = Number(match?.[2]);
  if (host === undefined || !isHost(unbracket(host)) || port < 1 || port > 65_535) {
    throw new ConfigError(
      `${name} must be host:port or a gRPC target URI such as dns:///host:port, got "${raw}"`,
    );
  }
  return raw;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function isHost(bare: string): boolean {
  return isIP(bare) !== 0 || HOSTNAME.test(bare);
}
