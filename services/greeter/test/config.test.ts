import { ConfigError, LIMIT_DEFAULTS } from '@repo/server-kit';
import { DEFAULT_PORT, readConfig } from '../src/config';

describe('readConfig', () => {
  it('listens on localhost:50051 by default, the port of the helloworld examples, metrics on 9464', () => {
    expect(DEFAULT_PORT).toBe(50051);
    expect(readConfig({})).toEqual({
      host: 'localhost',
      port: 50051,
      metricsPort: 9464,
      healthPort: 0,
      logLevel: 'info',
      shutdownGraceMs: 10_000,
      ...LIMIT_DEFAULTS,
    });
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(readConfig({ PORT: '0' }))).toBe(true);
  });

  it('throws a ConfigError naming a bad variable', () => {
    expect(() => readConfig({ PORT: 'abc' })).toThrow(
      new ConfigError('PORT must be an integer from 0 to 65535, got "abc"'),
    );
    expect(() => readConfig({ PORT: 'abc' })).toThrow(ConfigError);
  });
});
