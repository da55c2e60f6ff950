import { ConfigError, LIMIT_DEFAULTS } from '../src';
import { grpcOptionsOf, limitsWith, readServerLimits } from '../src/limits';
import { configErrorOf } from './support/config-error';

const MiB = 1024 * 1024;

describe('readServerLimits', () => {
  it('has a documented default for every limit', () => {
    expect(readServerLimits({})).toEqual({
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
  });

  it('reads every variable', () => {
    expect(
      readServerLimits({
        MAX_RECEIVE_MESSAGE_BYTES: '1024',
        MAX_SEND_MESSAGE_BYTES: '2048',
        MAX_CONCURRENT_STREAMS: '10',
        MAX_RUNNING_HANDLERS: '20',
        KEEPALIVE_TIME_MS: '5000',
        KEEPALIVE_TIMEOUT_MS: '1000',
        KEEPALIVE_MIN_PING_INTERVAL_MS: '10000',
        KEEPALIVE_MAX_PING_STRIKES: '0',
        MAX_CONNECTION_AGE_MS: '30000',
        MAX_CONNECTION_AGE_GRACE_MS: '500',
      }),
    ).toEqual({
      maxReceiveMessageBytes: 1024,
      maxSendMessageBytes: 2048,
      maxConcurrentStreams: 10,
      maxRunningHandlers: 20,
      keepaliveTimeMs: 5000,
      keepaliveTimeoutMs: 1000,
      minPingIntervalMs: 10_000,
      maxPingStrikes: 0,
      maxConnectionAgeMs: 30_000,
      maxConnectionAgeGraceMs: 500,
    });
  });

  it.each([
    ['MAX_RECEIVE_MESSAGE_BYTES', '0', 'an integer from 1 to 2147483647'],
    ['MAX_CONCURRENT_STREAMS', '-1', 'an integer from 1 to 2147483647'],
    ['MAX_RUNNING_HANDLERS', 'many', 'an integer from 1 to 2147483647'],
    ['KEEPALIVE_TIME_MS', '10', 'an integer from 1000 to 2147483647'],
    ['KEEPALIVE_MAX_PING_STRIKES', '1001', 'an integer from 0 to 1000'],
    ['MAX_CONNECTION_AGE_MS', '30s', 'an integer from 0 to 2147483647'],
  ])('rejects %s=%s, naming the variable and the value', (name, value, rule) => {
    const err = configErrorOf(() => readServerLimits({ [name]: value }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(`${name} must be ${rule}, got "${value}"`);
  });
});

describe('limitsWith', () => {
  it('takes the limits it is given and the defaults for the rest, ignoring other fields', () => {
    const limits = limitsWith({ maxRunningHandlers: 5, host: '0.0.0.0' } as never);
    expect(limits).toEqual({ ...LIMIT_DEFAULTS, maxRunningHandlers: 5 });
  });
});

describe('grpcOptionsOf', () => {
  it('turns the limits into grpc-js server options; connection age only when set', () => {
    expect(grpcOptionsOf(LIMIT_DEFAULTS)).toEqual({
      'grpc.max_receive_message_length': 4 * MiB,
      'grpc.max_send_message_length': 4 * MiB,
      'grpc.max_concurrent_streams': 100,
      'grpc.keepalive_time_ms': 60_000,
      'grpc.keepalive_timeout_ms': 20_000,
    });
    expect(
      grpcOptionsOf({ ...LIMIT_DEFAULTS, maxConnectionAgeMs: 30_000, maxConnectionAgeGraceMs: 500 }),
    ).toMatchObject({ 'grpc.max_connection_age_ms': 30_000, 'grpc.max_connection_age_grace_ms': 500 });
  });
});
