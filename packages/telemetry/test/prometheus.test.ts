import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { freePort } from '@repo/test-kit';
import { startTelemetry, type Telemetry } from '../src';
import { prometheusNameOf } from '../src/prometheus';

describe('prometheusNameOf', () => {
  it.each([
    ['grpc.server.call.duration', 's', 'grpc.server.call.duration_seconds'],
    [
      'grpc.server.call.sent_total_compressed_message_size',
      'By',
      'grpc.server.call.sent_total_compressed_message_size_bytes',
    ],
    ['grpc.server.call.started', '{call}', 'grpc.server.call.started'],
    ['v8js.memory.heap.used', 'By', 'v8js.memory.heap.used_bytes'],
    ['nodejs.eventloop.utilization', '1', 'nodejs.eventloop.utilization'],
    ['http.server.duration_seconds', 's', 'http.server.duration_seconds'],
  ])('names %s in %s as %s', (name, unit, expected) => {
    expect(prometheusNameOf(name, unit)).toBe(expected);
  });
});

describe('the /metrics endpoint', () => {
  let telemetry: Telemetry;
  let base: string;

  beforeAll(async () => {
    telemetry = await startTelemetry({
      serviceName: 'test',
      metricsPort: await freePort(),
      metricsHost: '127.0.0.1',
    });
    base = `http://127.0.0.1:${telemetry.metricsPort}`;
  });

  afterAll(() => telemetry.shutdown());

  it('serves what is recorded in the Prometheus text format, with unit suffixes, promtool-clean', async () => {
    const registry = telemetry.metrics;
    if (!registry) throw new Error('metrics are on');
    registry
      .counter({ name: 'grpc.server.call.started', unit: '{call}', description: 'Calls.' })
      .point('a', () => ({ 'grpc.method': 'a.B/C' }))
      .add(3);
    registry
      .histogram({ name: 'grpc.server.call.duration', unit: 's', description: 'Durations.' }, [0, 0.01, 1])
      .point('a OK', () => ({ 'grpc.method': 'a.B/C', 'grpc.status': 'OK' }))
      .record(0.5);

    const response = await fetch(`${base}/metrics`);
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toMatch(
      /^grpc_server_call_started_total\{grpc_method="a.B\/C",otel_scope_name="@repo\/telemetry"\} 3$/m,
    );
    expect(text).toMatch(/^grpc_server_call_duration_seconds_bucket\{[^}]*grpc_status="OK"[^}]*le="1"\} 1$/m);
    expect(text).toMatch(/^grpc_server_call_duration_seconds_count\{[^}]*\} 1$/m);
    expect(text).toContain('target_info{service_name="test"');
    // Node's runtime metrics come along.
    expect(text).toContain('# TYPE v8js_memory_heap_used_bytes gauge');
    expect(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })).toBe('');
  });

  it('answers 404 elsewhere and 405 to anything but GET', async () => {
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('fails to start, naming the port, when the port is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(
        startTelemetry({ serviceName: 'test', metricsPort: port, metricsHost: '127.0.0.1' }),
      ).rejects.toThrow(`cannot serve metrics on 127.0.0.1:${port}: listen EADDRINUSE`);
    } finally {
      taken.close();
    }
  });
});
