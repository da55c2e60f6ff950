import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

// NOT PRODUCT CODE. Where the bench's traced servers export their spans (OTLP http/protobuf): it
// answers every export at once and counts the spans without decoding them. test-kit's
// OtlpReceiver decodes and keeps every span, which at ~10,000 spans/s would take the load
// generators' CPU, on which this runs.

/** The length-delimited fields number `field` of the protobuf message `message`. */
function* fieldsNumbered(message: Uint8Array, field: number): Generator<Uint8Array> {
  const reader = new BinaryReader(message);
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number === field && wireType === WireType.LengthDelimited) yield reader.bytes();
    else reader.skip(wireType, number);
  }
}

/** The spans of an ExportTraceServiceRequest: resource_spans (1) → scope_spans (2) → spans (2). */
export function countSpans(request: Uint8Array): number {
  let spans = 0;
  for (const resource of fieldsNumbered(request, 1)) {
    for (const scope of fieldsNumbered(resource, 2)) for (const _ of fieldsNumbered(scope, 2)) spans++;
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
