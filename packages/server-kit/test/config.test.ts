import { LIMIT_DEFAULTS, readServerConfig, readTarget } from '../src';
import { readHost } from '../src/config';
import { configErrorOf } from './support/config-error';

const DEFAULTS = { port: 50051, metricsPort: 9464 };

describe('readServerConfig', () => {
  it('uses the defaults when nothing is set', () => {
    expect(readServerConfig({}, DEFAULTS)).toEqual({
      host: 'localhost',
      port: 50051,
      logLevel: 'info',
      metricsPort: 9464,
      healthPort: 0,
      shutdownGraceMs: 10_000,
      ...LIMIT_DEFAULTS,
    });
  });

  it('treats empty and blank values as unset', () => {
    expect(
      readServerConfig({ HOST: '', PORT: '  ', LOG_LEVEL: '', SHUTDOWN_GRACE_MS: ' ' }, DEFAULTS),
    ).toEqual({
      host: 'localhost',
      port: 50051,
      logLevel: 'info',
      metricsPort: 9464,
      healthPort: 0,
      shutdownGraceMs: 10_000,
      ...LIMIT_DEFAULTS,
    });
  });

  it('reads every variable when set, trimming surrounding spaces', () => {
    expect(
      readServerConfig(
        {
          HOST: ' 0.0.0.0 ',
          PORT: ' 8080 ',
          LOG_LEVEL: 'debug',
          METRICS_PORT: ' 9100 ',
          HEALTH_PORT: '8081',
          SHUTDOWN_GRACE_MS: '500',
        },
        DEFAULTS,
      ),
    ).toEqual({
      host: '0.0.0.0',
      port: 8080,
      logLevel: 'debug',
      metricsPort: 9100,
      healthPort: 8081,
      shutdownGraceMs: 500,
      ...LIMIT_DEFAULTS,
    });
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['65535', 65_535],
  ])('accepts PORT=%s', (value, port) => {
    expect(readServerConfig({ PORT: value }, DEFAULTS).port).toBe(port);
  });

  it.each(['abc', '-1', '65536', '1.5', '1e3', '0x50', '80 80', '99999999999999999999'])(
    'rejects PORT=%s with a message naming the variable and the value',
    (value) => {
      const err = configErrorOf(() => readServerConfig({ PORT: value }, DEFAULTS));
      expect(err.name).toBe('ConfigError');
      expect(err.message).toBe(`PORT must be an integer from 0 to 65535, got "${value}"`);
    },
  );

  it('reads METRICS_PORT=0 as no metrics endpoint, and rejects a bad value naming it', () => {
    expect(readServerConfig({ METRICS_PORT: '0' }, DEFAULTS).metricsPort).toBe(0);
    expect(configErrorOf(() => readServerConfig({ METRICS_PORT: 'prometheus' }, DEFAULTS)).message).toBe(
      'METRICS_PORT must be an integer from 0 to 65535, got "prometheus"',
    );
  });

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])('accepts LOG_LEVEL=%s', (level) => {
    expect(readServerConfig({ LOG_LEVEL: level }, DEFAULTS).logLevel).toBe(level);
  });

  it.each(['loud', 'INFO', 'warning', '1'])('rejects LOG_LEVEL=%s', (value) => {
    expect(configErrorOf(() => readServerConfig({ LOG_LEVEL: value }, DEFAULTS)).message).toBe(
      `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "${value}"`,
    );
  });

  it.each([
    ['0', 0],
    ['3600000', 3_600_000],
  ])('accepts SHUTDOWN_GRACE_MS=%s', (value, graceMs) => {
    expect(readServerConfig({ SHUTDOWN_GRACE_MS: value }, DEFAULTS).shutdownGraceMs).toBe(graceMs);
  });

  it.each(['3600001', '-5', '10s', 'soon'])('rejects SHUTDOWN_GRACE_MS=%s', (value) => {
    expect(configErrorOf(() => readServerConfig({ SHUTDOWN_GRACE_MS: value }, DEFAULTS)).message).toBe(
      `SHUTDOWN_GRACE_MS must be an integer from 0 to 3600000, got "${value}"`,
    );
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['localhost', 'localhost'],
    ['greeter.internal', 'greeter.internal'],
    ['::', '[::]'],
    ['::1', '[::1]'],
    ['[::1]', '[::1]'],
  ])('reads HOST=%s as %s, ready to bind', (value, host) => {
    expect(readServerConfig({ HOST: value }, DEFAULTS).host).toBe(host);
  });

  it.each(['not a host', 'http://localhost', 'localhost:50051', '-leading.dash', '[::1'])(
    'rejects HOST=%s',
    (value) => {
      expect(configErrorOf(() => readServerConfig({ HOST: value }, DEFAULTS)).message).toBe(
        `HOST must be a host name or an IP address, got "${value}"`,
      );
    },
  );

  it('reports the variable name given to readHost', () => {
    expect(configErrorOf(() => readHost({ BIND: 'a b' }, 'BIND', 'localhost')).message).toBe(
      'BIND must be a host name or an IP address, got "a b"',
    );
  });
});

describe('readTarget', () => {
  it('returns the fallback when the variable is unset or blank', () => {
    expect(readTarget({}, 'GREETER_ADDR', 'localhost:50051')).toBe('localhost:50051');
    expect(readTarget({ GREETER_ADDR: ' ' }, 'GREETER_ADDR', 'localhost:50051')).toBe('localhost:50051');
  });

  it.each([
    'localhost:50051',
    'greeter:1',
    '10.0.0.7:65535',
    '[::1]:50051',
    'dns:///greeter:50051',
    'dns:greeter:50051',
    'ipv4:127.0.0.1:50051,127.0.0.1:50052',
    'ipv6:[::1]:50051',
    'unix:/tmp/greeter.sock',
    'unix-abstract:greeter',
  ])('accepts %s as it is', (target) => {
    expect(readTarget({ GREETER_ADDR: target }, 'GREETER_ADDR', 'localhost:50051')).toBe(target);
  });

  it.each([
    'localhost',
    'localhost:',
    ':50051',
    'localhost:0',
    'localhost:65536',
    'localhost:123456',
    '::1:50051',
    'http://localhost:50051',
    'bad host:50051',
    'greeter:50051/path',
  ])('rejects %s with a message naming the variable and the value', (target) => {
    expect(configErrorOf(() => readTarget({ GREETER_ADDR: target }, 'GREETER_ADDR', 'x:1')).message).toBe(
      `GREETER_ADDR must be host:port or a gRPC target URI such as dns:///host:port, got "${target}"`,
    );
  });
});
