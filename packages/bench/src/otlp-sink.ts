import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

// NOT PRODUCT CODE. Where the bench's traced servers export their spans (OTLP http/protobuf): it
// answers every export at once and counts the spans without decoding them. test-kit's
// OtlpReceiver decodes and keeps every span, which at ~10,000 spans/s would take the load
// generators' CPU, on which this runs.

/** The length-delimited fields number `field` of the protobuf message `message`. */
function* fieldsOf(message: Buffer, field: number): Generator<Buffer> {
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const byte = message[offset++];
      if (byte === undefined) throw new Error('truncated varint');
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
  };
  while (offset < message.length) {
    const key = varint();
    const wireType = key % 8;
    if (wireType === 0) {
      varint();
      continue;
    }
    // fixed64, length-delimited, fixed32: with varint, all that OTLP uses.
    const length = ({ 1: 8, 5: 4 } as Record<number, number>)[wireType] ?? (wireType === 2 ? varint() : -1);
    if (length < 0) throw new Error(`unsupported wire type ${wireType}`);
    if (offset + length > message.length) throw new Error('truncated field');
    if (wireType === 2 && Math.floor(key / 8) === field) yield message.subarray(offset, offset + length);
    offset += length;
  }
}

/** The spans of an ExportTraceServiceRequest: resource_spans (1) → scope_spans (2) → spans (2). */
export function countSpans(request: Buffer): number {
  let spans = 0;
  for (const resource of fieldsOf(request, 1)) {
    for (const scope of fieldsOf(resource, 2)) for (const _ of fieldsOf(scope, 2)) spans++;
  }
  return spans;
}

/** An OTLP/HTTP receiver on 127.0.0.1 that answers 200 to every export and counts the spans. */
export class OtlpSink {
  /** Spans received so far, and bodies it could not read (still answered 200). */
  spans = 0;
  unreadable = 0;

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`: OTEL_EXPORTER_OTLP_ENDPOINT. */
    readonly endpoint: string,
  ) {}

  static async start(): Promise<OtlpSink> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const sink = new OtlpSink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      // An exporter that goes away mid-request (its process stopped) must not crash the bench.
      request.on('error', () => {});
      request.on('end', () => {
        if (request.url === '/v1/traces')
          sink.take(Buffer.concat(chunks), request.headers['content-encoding']);
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    return sink;
  }

  private take(body: Buffer, encoding: string | undefined): void {
    try {
      this.spans += countSpans(encoding === 'gzip' ? gunzipSync(body) : body);
    } catch {
      this.unreadable++;
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
