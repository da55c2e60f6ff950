import { NO_TELEMETRY, startTelemetry } from '../src';

describe('startTelemetry', () => {
  it('loads no SDK when nothing is on (no /metrics port, no OTLP endpoint)', async () => {
    const saved = { ...process.env };
    for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) delete process.env[name];
    try {
      const telemetry = await startTelemetry({ serviceName: 'test', metricsPort: 0 });

      expect(telemetry).toBe(NO_TELEMETRY);
      // The SDK costs ~100 ms of start-up: the module must not even be loaded.
      const loaded = Object.keys(require.cache);
      expect(loaded.filter((path) => /[\\/]src[\\/]sdk\.ts$|@opentelemetry[\\/]sdk-node/.test(path))).toEqual(
        [],
      );
    } finally {
      process.env = saved;
    }
  });
});
