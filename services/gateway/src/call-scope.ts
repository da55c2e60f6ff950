import { type ContextKey, createContextKey, type HandlerContext } from '@connectrpc/connect';
import { Metadata, status } from '@grpc/grpc-js';
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import {
  callLogLevel,
  endServerSpan,
  type Logger,
  recordCallEnd,
  requestIdFrom,
  type ServerCallTelemetry,
  traceFieldsOf,
} from '@repo/server-kit';
import { rpcAttributesOf } from '@repo/telemetry';
import { AUTHORIZATION_HEADER, REQUEST_ID_HEADER } from '@repo/wire';

/** What the HTTP layer knows of a request, for the call that serves it. */
export interface RequestRecord {
  /** Set once a call has logged it; the HTTP layer logs a request refused before that. */
  logged: boolean;
  requestId: string;
}

/** Where a call finds its RequestRecord (see connectNodeAdapter's contextValues). */
export const REQUEST_RECORD: ContextKey<RequestRecord> = createContextKey<RequestRecord>({
  logged: false,
  requestId: '',
});

const HEADERS_GETTER: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

export interface ScopeSettings {
  logger: Logger;
  telemetry: ServerCallTelemetry | undefined;
}

/**
 * One call through the gateway: its request id (the caller's `x-request-id`, or a new one), its
 * SERVER span (continuing the caller's W3C trace context), the metadata and deadline of the
 * backend call, and, at its end, one log line and gRPC's standard metrics (gRFC A66), as the
 * services record them.
 */
export class CallScope {
  readonly requestId: string;
  /** The OpenTelemetry context the backend call is made in (its client span's parent). */
  readonly otelContext: Context;
  private readonly started = performance.now();
  private readonly span: Span | undefined;
  private readonly record: RequestRecord;
  private readonly points: ReturnType<NonNullable<ServerCallTelemetry['metrics']>['of']> | undefined;
  private ended = false;
  sentBytes = 0;
  receivedBytes = 0;

  constructor(
    private readonly settings: ScopeSettings,
    private readonly method: string,
    private readonly unary: boolean,
    private readonly ctx: HandlerContext,
  ) {
    this.record = ctx.values.get(REQUEST_RECORD);
    this.requestId = this.record.requestId || requestIdFrom(ctx.requestHeader.get(REQUEST_ID_HEADER));
    ctx.responseHeader.set(REQUEST_ID_HEADER, this.requestId);
    this.points = settings.telemetry?.metrics?.of(method);
    this.points?.started.add(1);
    const tracer = settings.telemetry?.tracer;
    if (tracer) {
      const parent = propagation.extract(ROOT_CONTEXT, ctx.requestHeader, HEADERS_GETTER);
      this.span = tracer.startSpan(
        method,
        { kind: SpanKind.SERVER, attributes: rpcAttributesOf(method) },
        parent,
      );
      this.otelContext = trace.setSpan(parent, this.span);
    } else {
      this.otelContext = context.active();
    }
  }

  /**
   * The backend call's metadata: the request id, the bearer token the gateway holds for that
   * backend (else the caller's own `authorization`), and, when the gateway does not trace, the
   * caller's trace context as it came (when it traces, the client span's is injected instead).
   */
  metadata(token: string | undefined): Metadata {
    const metadata = new Metadata();
    metadata.set(REQUEST_ID_HEADER, this.requestId);
    const authorization =
      token === undefined ? this.ctx.requestHeader.get(AUTHORIZATION_HEADER) : `Bearer ${token}`;
    if (authorization) metadata.set(AUTHORIZATION_HEADER, authorization);
    if (!this.span) {
      for (const name of TRACE_HEADERS) {
        const value = this.ctx.requestHeader.get(name);
        if (value) metadata.set(name, value);
      }
    }
    return metadata;
  }

  /** The backend call's deadline: the caller's timeout (connect-timeout-ms, grpc-timeout), if any. */
  deadline(): number | undefined {
    const timeoutMs = this.ctx.timeoutMs();
    return timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  }

  /** Once per call, at its end: metrics, span and log line. */
  end(code: status, details: string, cause?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.record.logged = true;
    const elapsedMs = performance.now() - this.started;
    if (this.points) recordCallEnd(this.points, code, elapsedMs / 1000, this.sentBytes, this.receivedBytes);
    if (this.span) endServerSpan(this.span, code, details);
    const { logger } = this.settings;
    // As the services log theirs: a fast successful unary call at debug.
    const level = callLogLevel(code, this.unary, elapsedMs);
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        requestId: this.requestId,
        method: `/${this.method}`,
        protocol: this.ctx.protocolName,
        code: status[code],
        durationMs: Math.round(elapsedMs * 1000) / 1000,
        ...(code === status.OK ? {} : { details }),
        ...(cause instanceof Error && code === status.INTERNAL ? { err: cause } : {}),
        ...(this.span && traceFieldsOf(this.span)),
      },
      'call',
    );
  }
}
