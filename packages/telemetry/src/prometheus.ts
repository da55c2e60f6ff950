import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** Prometheus's text exposition format, as every Prometheus server scrapes it. */
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * OpenTelemetry units and the suffix Prometheus names carry for them (the OpenTelemetry
 * specification's Prometheus compatibility rules; what the Go and Java exporters write, so that
 * `grpc.server.call.duration` is `grpc_server_call_duration_seconds` here as it is for grpc-go).
 * Annotations in braces (`{call}`) add nothing.
 */
const UNIT_SUFFIXES: Readonly<Record<string, string>> = {
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  '%': 'percent',
};

/**
 * `GET /metrics` for Prometheus on `host:port` (port 0: a free one), from the reader's
 * metrics. The OpenTelemetry exporter's own endpoint leaves out the unit suffixes, so it is not
 * used; its serializer is (names sanitized, counters with `_total`, histograms with `_bucket`,
 * `_sum`, `_count`).
 */
export async function serveMetrics(
  reader: PrometheusExporter,
  host: string | undefined,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const serializer = new PrometheusSerializer();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
      return;
    }
    reader.collect().then(
      ({ resourceMetrics }) => {
        response.writeHead(200, { 'content-type': CONTENT_TYPE });
        response.end(serializer.serialize(withUnitSuffixes(resourceMetrics)));
      },
      (err: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`cannot collect metrics: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  });
  // A scrape is one short request: no connection should hold the process open at shutdown.
  server.keepAliveTimeout = 1_000;
  server.listen(port, host);
  try {
    // events.once rejects with the 'error' the server emits instead of 'listening'.
    await once(server, 'listening');
  } catch (err: unknown) {
    throw new Error(`cannot serve metrics on ${host ?? '*'}:${port}: ${(err as Error).message}`);
  }
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The same metrics, each name followed by its unit's suffix, and the unit itself dropped. */
function withUnitSuffixes(resourceMetrics: ResourceMetrics): ResourceMetrics {
  return {
    ...resourceMetrics,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((metric) => {
        const name = prometheusNameOf(metric.descriptor.name, metric.descriptor.unit);
        return { ...metric, descriptor: { ...metric.descriptor, name, unit: '' } } as MetricData;
      }),
    })),
  };
}

/** `grpc.server.call.duration` in `s` is `grpc.server.call.duration_seconds` (sanitized later). */
export function prometheusNameOf(name: string, unit: string): string {
  const suffix = UNIT_SUFFIXES[unit] ?? (/^[A-Za-z]+$/.test(unit) ? unit.toLowerCase() : '');
  if (suffix === '' || name.endsWith(`_${suffix}`) || name.endsWith(`.${suffix}`)) return name;
  return `${name}_${suffix}`;
}
