import type { ChannelOptions } from '@grpc/grpc-js';
import { type Env, readInteger } from './env';

const MiB = 1024 * 1024;
const INT32_MAX = 2_147_483_647;

/**
 * What one server process lets its clients use. Every field has an environment variable (in
 * brackets) and a default in LIMIT_DEFAULTS; docs/limits.md lists them.
 */
export interface ServerLimits {
  /** Largest request message accepted, in bytes, after decompression (MAX_RECEIVE_MESSAGE_BYTES). */
  maxReceiveMessageBytes: number;
  /** Largest response message sent, in bytes (MAX_SEND_MESSAGE_BYTES); a larger one ends the call with RESOURCE_EXHAUSTED. */
  maxSendMessageBytes: number;
  /** Calls open at once on one connection, advertised in HTTP/2 SETTINGS (MAX_CONCURRENT_STREAMS). */
  maxConcurrentStreams: number;
  /**
   * Handlers doing work at once in this process, over all connections (MAX_RUNNING_HANDLERS).
   * A handler counts until it has finished, even if its client reset the stream long before;
   * a call beyond the limit ends at once with RESOURCE_EXHAUSTED. Health and reflection are not counted.
   */
  maxRunningHandlers: number;
  /** Idle time after which the server pings a client to find out whether it is still there (KEEPALIVE_TIME_MS). */
  keepaliveTimeMs: number;
  /** How long the server waits for that ping's answer before it drops the connection (KEEPALIVE_TIMEOUT_MS). */
  keepaliveTimeoutMs: number;
  /**
   * The shortest interval a client may ping at while it has no call open (KEEPALIVE_MIN_PING_INTERVAL_MS);
   * a quicker ping is a strike.
   */
  minPingIntervalMs: number;
  /**
   * Strikes allowed before the server answers GOAWAY ENHANCE_YOUR_CALM "too_many_pings"
   * (KEEPALIVE_MAX_PING_STRIKES); 0: any number, as in gRPC's core.
   */
  maxPingStrikes: number;
  /**
   * After this long a connection is asked to go away (GOAWAY; calls on it finish), so that
   * clients reconnect and re-resolve, and find replicas that started since (MAX_CONNECTION_AGE_MS;
   * 0: never).
   */
  maxConnectionAgeMs: number;
  /** How long calls may still run on a connection that reached its age, before they are cancelled (MAX_CONNECTION_AGE_GRACE_MS). */
  maxConnectionAgeGraceMs: number;
}

/** gRPC's own defaults where it has one that protects a server; otherwise a bound a service of this kind does not reach. */
export const LIMIT_DEFAULTS: Readonly<ServerLimits> = Object.freeze({
  maxReceiveMessageBytes: 4 * MiB,
  maxSendMessageBytes: 4 * MiB,
  maxConcurrentStreams: 100,
  maxRunningHandlers: 1000,
  keepaliveTimeMs: 60_000,
  keepaliveTimeoutMs: 20_000,
  minPingIntervalMs: 300_000,
  maxPingStrikes: 2,
  maxConnectionAgeMs: 0,
  maxConnectionAgeGraceMs: 10_000,
});

/** LIMIT_DEFAULTS with the limits `overrides` sets (other fields of it, such as a whole ServerConfig's, ignored). */
export function limitsWith(overrides: Partial<ServerLimits> = {}): ServerLimits {
  const limits = { ...LIMIT_DEFAULTS };
  for (const key of Object.keys(limits) as (keyof ServerLimits)[]) {
    limits[key] = overrides[key] ?? limits[key];
  }
  return limits;
}

/** Reads the variables named on ServerLimits; throws ConfigError naming a bad value. */
export function readServerLimits(env: Env): ServerLimits {
  const read = (name: string, fallback: number, min: number, max = INT32_MAX) =>
    readInteger(env, name, { fallback, min, max });
  const d = LIMIT_DEFAULTS;
  return {
    maxReceiveMessageBytes: read('MAX_RECEIVE_MESSAGE_BYTES', d.maxReceiveMessageBytes, 1),
    maxSendMessageBytes: read('MAX_SEND_MESSAGE_BYTES', d.maxSendMessageBytes, 1),
    maxConcurrentStreams: read('MAX_CONCURRENT_STREAMS', d.maxConcurrentStreams, 1),
    maxRunningHandlers: read('MAX_RUNNING_HANDLERS', d.maxRunningHandlers, 1),
    keepaliveTimeMs: read('KEEPALIVE_TIME_MS', d.keepaliveTimeMs, 1000),
    keepaliveTimeoutMs: read('KEEPALIVE_TIMEOUT_MS', d.keepaliveTimeoutMs, 1),
    minPingIntervalMs: read('KEEPALIVE_MIN_PING_INTERVAL_MS', d.minPingIntervalMs, 0),
    maxPingStrikes: read('KEEPALIVE_MAX_PING_STRIKES', d.maxPingStrikes, 0, 1000),
    maxConnectionAgeMs: read('MAX_CONNECTION_AGE_MS', d.maxConnectionAgeMs, 0),
    maxConnectionAgeGraceMs: read('MAX_CONNECTION_AGE_GRACE_MS', d.maxConnectionAgeGraceMs, 0),
  };
}

/** The grpc-js server options for these limits (the handler cap and the ping policy are ours: see GrpcServer). */
export function grpcOptionsOf(limits: ServerLimits): ChannelOptions {
  return {
    'grpc.max_receive_message_length': limits.maxReceiveMessageBytes,
    'grpc.max_send_message_length': limits.maxSendMessageBytes,
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    ...(limits.maxConnectionAgeMs > 0 && {
      'grpc.max_connection_age_ms': limits.maxConnectionAgeMs,
      'grpc.max_connection_age_grace_ms': limits.maxConnectionAgeGraceMs,
    }),
  };
}
