import { planOf } from '../src';

const SERVICE = { serviceName: 'greeter', metricsPort: 9464 };

describe('planOf', () => {
  it('serves /metrics and exports nothing when no OTLP endpoint is set', () => {
    expect(planOf(SERVICE, {})).toEqual({ traces: 'off', prometheus: true, otlpMetrics: undefined });
  });

  it('exports traces and pushes metrics over http/protobuf once an endpoint is set', () => {
    expect(planOf(SERVICE, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      traces: 'exported',
      prometheus: true,
      otlpMetrics: 'http/protobuf',
    });
  });

  it('takes the protocol of each signal, the specific variable first', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
    };
    expect(planOf(SERVICE, env).otlpMetrics).toBe('http/json');
    expect(planOf(SERVICE, { ...env, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: '' }).otlpMetrics).toBe('grpc');
  });

  it('exports traces alone with a traces endpoint, and metrics alone with a metrics endpoint', () => {
    expect(planOf(SERVICE, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toMatchObject({
      traces: 'exported',
      otlpMetrics: undefined,
    });
    expect(
      planOf(SERVICE, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics' }),
    ).toMatchObject({
      traces: 'off',
      otlpMetrics: 'http/protobuf',
    });
  });

  it('follows OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(planOf(SERVICE, { ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).traces).toBe('off');
    expect(planOf(SERVICE, { OTEL_TRACES_EXPORTER: 'console' }).traces).toBe('exported');
    expect(planOf(SERVICE, { ...endpoint, OTEL_METRICS_EXPORTER: 'prometheus' }).otlpMetrics).toBeUndefined();
    expect(planOf(SERVICE, { ...endpoint, OTEL_METRICS_EXPORTER: 'otlp,prometheus' }).otlpMetrics).toBe(
      'http/protobuf',
    );
  });

  it('turns everything off with OTEL_SDK_DISABLED, the metrics endpoint included', () => {
    expect(
      planOf(SERVICE, { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }),
    ).toEqual({ traces: 'off', prometheus: false, otlpMetrics: undefined });
  });

  it('makes spans without an exporter only when asked to (a CLI with --trace)', () => {
    expect(planOf({ serviceName: 'cli', forceTracing: true }, {})).toEqual({
      traces: 'unexported',
      prometheus: false,
      otlpMetrics: undefined,
    });
    expect(planOf({ serviceName: 'cli' }, {})).toEqual({
      traces: 'off',
      prometheus: false,
      otlpMetrics: undefined,
    });
  });
});
