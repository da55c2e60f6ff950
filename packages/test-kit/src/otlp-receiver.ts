import { once } from 'node:events';
import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  Server as GrpcServer,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { parse, type Type } from 'protobufjs';

/**
 * The part of OTLP's trace protocol (opentelemetry-proto, trace/v1 and collector/trace/v1) that
 * the tests read: enough fields, with their real numbers, to decode what an SDK exports.
 */
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; }
}
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message Status { string message = 2; int32 code = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; Status status = 15;
}
message ScopeSpans { repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;

const EXPORT_TRACE_REQUEST: Type = parse(OTLP_TRACE_PROTO, { keepCase: false }).root.lookupType(
  'otlp.ExportTraceServiceRequest',
);

const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;

export type AttributeValue = string | number | boolean;

/** A span as the receiver got it, whatever the protocol. */
export interface ReceivedSpan {
  /** `service.name` of the process that exported it. */
  service: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: (typeof SPAN_KINDS)[number];
  attributes: Record<string, AttributeValue>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
}

/** One export request: which protocol brought it, for which signal. */
export interface ReceivedRequest {
  protocol: 'http/json' | 'http/protobuf' | 'grpc';
  signal: 'traces' | 'metrics' | 'logs';
}

/**
 * An OpenTelemetry collector stand-in for tests: takes OTLP exports over HTTP (`http/json` and
 * `http/protobuf`, on `endpoint`) and over gRPC (on `grpcEndpoint`), and keeps every span.
 * Metrics and logs are accepted and counted, not decoded.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly requests: ReceivedRequest[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly http: HttpServer,
    private readonly grpc: GrpcServer,
    /** `http://host:port`, for OTEL_EXPORTER_OTLP_ENDPOINT with an HTTP protocol. */
    readonly endpoint: string,
    /** `http://host:port`, for OTEL_EXPORTER_OTLP_ENDPOINT with OTEL_EXPORTER_OTLP_PROTOCOL=grpc. */
    readonly grpcEndpoint: string,
  ) {}

  /** Listens on `host` (loopback by default; a test reached from containers passes their gateway). */
  static async start(host = '127.0.0.1'): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const http = createServer((request, response) => {
      void readBody(request).then(
        (body) => {
          receiver?.takeHttp(request, body);
          response.writeHead(200, {
            'content-type': String(request.headers['content-type'] ?? 'application/json'),
          });
          response.end(request.headers['content-type'] === 'application/json' ? '{}' : '');
        },
        () => response.writeHead(400).end(),
      );
    });
    http.listen(0, host);
    await once(http, 'listening');

    const grpc = new GrpcServer();
    const raw = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b };
    const empty = { responseSerialize: () => Buffer.alloc(0), responseDeserialize: () => ({}) };
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      const service = {
        traces: 'trace.v1.TraceService',
        metrics: 'metrics.v1.MetricsService',
        logs: 'logs.v1.LogsService',
      }[signal];
      grpc.addService(
        {
          Export: {
            path: `/opentelemetry.proto.collector.${service}/Export`,
            requestStream: false,
            responseStream: false,
            ...raw,
            ...empty,
          },
        },
        {
          Export: (call: ServerUnaryCall<Buffer, object>, callback: sendUnaryData<object>) => {
            receiver?.take('grpc', signal, call.request);
            callback(null, {});
          },
        },
      );
    }
    const grpcPort = await new Promise<number>((resolve, reject) =>
      grpc.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    const httpPort = (http.address() as AddressInfo).port;
    receiver = new OtlpReceiver(http, grpc, `http://${host}:${httpPort}`, `http://${host}:${grpcPort}`);
    return receiver;
  }

  /** Resolves with the spans once `done(spans)` holds; rejects after `timeoutMs`, saying what arrived. */
  async waitFor(
    done: (spans: readonly ReceivedSpan[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<ReceivedSpan[]> {
    if (done(this.spans)) return [...this.spans];
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.spans)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve([...this.spans]);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const seen = this.spans.map((span) => `${span.service}:${span.kind}:${span.name}`).join(', ');
        reject(new Error(`spans not received within ${timeoutMs} ms; received: ${seen || 'none'}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    this.http.closeAllConnections();
    await Promise.all([
      new Promise<void>((resolve) => this.http.close(() => resolve())),
      new Promise<void>((resolve) => this.grpc.tryShutdown(() => resolve())),
    ]);
  }

  private takeHttp(request: IncomingMessage, body: Buffer): void {
    const signal = (/^\/v1\/(traces|metrics|logs)$/.exec(request.url ?? '')?.[1] ??
      'traces') as ReceivedRequest['signal'];
    const json = String(request.headers['content-type'] ?? '').startsWith('application/json');
    this.take(json ? 'http/json' : 'http/protobuf', signal, body);
  }

  private take(protocol: ReceivedRequest['protocol'], signal: ReceivedRequest['signal'], body: Buffer): void {
    this.requests.push({ protocol, signal });
    if (signal === 'traces') {
      const decoded = protocol === 'http/json' ? JSON.parse(body.toString('utf8')) : decodeProtobuf(body);
      this.spans.push(...spansOf(decoded as ExportTraceRequest));
    }
    for (const waiter of [...this.waiters]) waiter();
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

/** OTLP/JSON's shape (ids in hex), which protobuf messages are converted to. */
interface ExportTraceRequest {
  resourceSpans?: {
    resource?: { attributes?: JsonKeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        attributes?: JsonKeyValue[];
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

interface JsonKeyValue {
  key: string;
  value?: { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number };
}

function decodeProtobuf(body: Buffer): ExportTraceRequest {
  const object = EXPORT_TRACE_REQUEST.toObject(EXPORT_TRACE_REQUEST.decode(body), {
    longs: String,
    bytes: String,
    defaults: false,
  }) as ExportTraceRequest;
  // `bytes: String` gives base64: ids are hex in OTLP/JSON, and here.
  for (const resource of object.resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        span.traceId = hexOf(span.traceId);
        span.spanId = hexOf(span.spanId);
        span.parentSpanId = hexOf(span.parentSpanId ?? '');
      }
    }
  }
  return object;
}

function hexOf(base64: string): string {
  return Buffer.from(base64, 'base64').toString('hex');
}

function spansOf(request: ExportTraceRequest): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resource of request.resourceSpans ?? []) {
    const service = String(attributesOf(resource.resource?.attributes)['service.name'] ?? '');
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans.push({
          service,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: SPAN_KINDS[span.kind ?? 0] ?? 'UNSPECIFIED',
          attributes: attributesOf(span.attributes),
          status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
        });
      }
    }
  }
  return spans;
}

function attributesOf(list: JsonKeyValue[] | undefined): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    if (value?.stringValue !== undefined) attributes[key] = value.stringValue;
    else if (value?.boolValue !== undefined) attributes[key] = value.boolValue;
    else if (value?.intValue !== undefined) attributes[key] = Number(value.intValue);
    else if (value?.doubleValue !== undefined) attributes[key] = value.doubleValue;
  }
  return attributes;
}
