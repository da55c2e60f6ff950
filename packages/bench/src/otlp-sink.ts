import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

// NOT PRODUCT CODE. An OTLP/HTTP endpoint for the bench's traced servers to export to: it answers
// every export at once and counts the spans, without keeping or decoding them (test-kit's
// OtlpReceiver decodes and keeps every span, which at ~10,000 spans/s would take the load
// generators' CPU). It runs in the suite's process, on the load generators' CPU.

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Spans counted by the sink, by the `service.name` of the process that exported them. */
export type SpanCounts = Record<string, number>;

/**
 * Calls `onField(field, start, end)` for every length-delimited field of the protobuf message in
 * `buffer[start, end)`, skipping the others. Throws on a truncated message or an unknown wire type.
 */
function eachBytesField(
  buffer: Buffer,
  start: number,
  end: number,
  onField: (field: number, start: number, end: number) => void,
): void {
  let offset = start;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (offset >= end) throw new Error('truncated varint');
      const byte = buffer[offset++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  while (offset < end) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key % 8) {
      case VARINT:
        varint();
        break;
      case FIXED64:
        offset += 8;
        break;
      case FIXED32:
        offset += 4;
        break;
      case LENGTH_DELIMITED: {
        const length = varint();
        if (offset + length > end) throw new Error('truncated field');
        onField(field, offset, offset + length);
        offset += length;
        break;
      }
      default:
        throw new Error(`unsupported wire type ${key % 8}`);
    }
  }
  if (offset > end) throw new Error('truncated message');
}

/**
 * The spans of an OTLP ExportTraceServiceRequest in protobuf (opentelemetry-proto: resource_spans
 * = 1; ResourceSpans.resource = 1, .scope_spans = 2; ScopeSpans.spans = 2; Resource.attributes
 * = 1; KeyValue.key = 1, .value = 2; AnyValue.string_value = 1), counted by `service.name`
 * (empty when the resource has none). Only the framing is read: no span is decoded.
 */
export function countSpans(request: Buffer): SpanCounts {
  const counts: SpanCounts = {};
  eachBytesField(request, 0, request.length, (field, start, end) => {
    if (field !== 1) return;
    let service = '';
    let spans = 0;
    eachBytesField(request, start, end, (resourceField, rStart, rEnd) => {
      if (resourceField === 1) service = serviceNameOf(request, rStart, rEnd) ?? service;
      else if (resourceField === 2) {
        eachBytesField(request, rStart, rEnd, (scopeField) => {
          if (scopeField === 2) spans++;
        });
      }
    });
    counts[service] = (counts[service] ?? 0) + spans;
  });
  return counts;
}

function serviceNameOf(buffer: Buffer, start: number, end: number): string | undefined {
  let name: string | undefined;
  eachBytesField(buffer, start, end, (field, aStart, aEnd) => {
    if (field !== 1) return;
    let key = '';
    let value: string | undefined;
    eachBytesField(buffer, aStart, aEnd, (kvField, kStart, kEnd) => {
      if (kvField === 1) key = buffer.toString('utf8', kStart, kEnd);
      else if (kvField === 2) {
        eachBytesField(buffer, kStart, kEnd, (anyField, vStart, vEnd) => {
          if (anyField === 1) value = buffer.toString('utf8', vStart, vEnd);
        });
      }
    });
    if (key === 'service.name' && value !== undefined) name = value;
  });
  return name;
}

/** The same count from an OTLP/JSON export. */
export function countJsonSpans(request: {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value?: { stringValue?: string } }[] };
    scopeSpans?: { spans?: unknown[] }[];
  }[];
}): SpanCounts {
  const counts: SpanCounts = {};
  for (const resource of request.resourceSpans ?? []) {
    const service =
      resource.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value
        ?.stringValue ?? '';
    const spans = (resource.scopeSpans ?? []).reduce((sum, scope) => sum + (scope.spans?.length ?? 0), 0);
    counts[service] = (counts[service] ?? 0) + spans;
  }
  return counts;
}

/**
 * An OTLP/HTTP receiver (`http/protobuf` and `http/json`) on 127.0.0.1 that answers 200 to every
 * POST to /v1/traces, /v1/metrics and /v1/logs and counts the spans it was sent.
 */
export class OtlpSink {
  /** Spans received so far, by service.name. */
  readonly spans: SpanCounts = {};
  /** Export requests received so far, by path. */
  readonly requests: Record<string, number> = {};
  /** Bodies it could not read (counted, still answered 200). */
  unreadable = 0;

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`: OTEL_EXPORTER_OTLP_ENDPOINT for an HTTP protocol. */
    readonly endpoint: string,
  ) {}

  static async start(): Promise<OtlpSink> {
    let sink: OtlpSink | undefined;
    const server = createServer((request, response) => {
      void readBody(request).then(
        (body) => {
          sink?.take(request, body);
          const json = String(request.headers['content-type'] ?? '').startsWith('application/json');
          response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
          response.end(json ? '{}' : '');
        },
        () => response.writeHead(400).end(),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    sink = new OtlpSink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return sink;
  }

  /** Every span received so far, whatever the service. */
  totalSpans(): number {
    return Object.values(this.spans).reduce((sum, count) => sum + count, 0);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private take(request: IncomingMessage, body: Buffer): void {
    const path = (request.url ?? '').split('?')[0] ?? '';
    this.requests[path] = (this.requests[path] ?? 0) + 1;
    if (request.method !== 'POST' || path !== '/v1/traces') return;
    try {
      const json = String(request.headers['content-type'] ?? '').startsWith('application/json');
      const counts = json ? countJsonSpans(JSON.parse(body.toString('utf8'))) : countSpans(body);
      for (const [service, count] of Object.entries(counts)) {
        this.spans[service] = (this.spans[service] ?? 0) + count;
      }
    } catch {
      this.unreadable++;
    }
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}
