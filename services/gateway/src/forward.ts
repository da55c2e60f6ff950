import { once } from 'node:events';
import { type DescMethod, fromBinary, type Message, type Registry, toBinary } from '@bufbuild/protobuf';
import { Code, type ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import {
  type CallOptions,
  type ClientReadableStream,
  type Metadata,
  type MethodDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import { cancelOnAbort } from '@repo/client-kit';
import { BUSY_RETRY_DELAY_MS } from '@repo/server-kit';
import type { Backend } from './backends';
import { type CallScope, REQUEST_RECORD, CallScope as Scope, type ScopeSettings } from './call-scope';
import { gatewayError, headersOf, toConnectError } from './errors';
import { serviceOf } from './registry';

export interface ForwardOptions extends ScopeSettings {
  registry: Registry;
  backends: readonly Backend[];
  /** Calls being forwarded at once, at most; one more ends at once with RESOURCE_EXHAUSTED. */
  maxRunningCalls: number;
}

type AnyMethod = MethodDefinition<unknown, unknown>;

/**
 * Registers every method of every backend's service on the router: each call is forwarded to
 * the backend with the generated ts-proto client, its messages converted between protobuf-es
 * (what Connect parses) and ts-proto (what the client sends) through their binary form.
 */
export function registerForwarding(router: ConnectRouter, options: ForwardOptions): void {
  const running = { count: 0 };
  for (const backend of options.backends) {
    const service = serviceOf(options.registry, backend.serviceName);
    const byPath = new Map(
      Object.values(backend.definition as Record<string, AnyMethod>).map((method) => [method.path, method]),
    );
    for (const method of service.methods) {
      const definition = byPath.get(`/${service.typeName}/${method.name}`);
      if (!definition) throw new Error(`${backend.serviceName} has no generated method ${method.name}`);
      const forwarder = new Forwarder(options, backend, method, definition, running);
      // The router types a method's handler by its descriptor's static type; these are built at run time.
      router.rpc(method, forwarder.handler() as never);
    }
  }
}

class Forwarder {
  private readonly name: string;

  constructor(
    private readonly options: ForwardOptions,
    private readonly backend: Backend,
    private readonly method: DescMethod,
    private readonly definition: AnyMethod,
    private readonly running: { count: number },
  ) {
    this.name = definition.path.slice(1);
  }

  handler(): unknown {
    switch (this.method.methodKind) {
      case 'unary':
        return (request: Message, ctx: HandlerContext) => this.unary(request, ctx);
      case 'server_streaming':
        return (request: Message, ctx: HandlerContext) => this.serverStreaming(request, ctx);
      case 'client_streaming':
        return (requests: AsyncIterable<Message>, ctx: HandlerContext) => this.clientStreaming(requests, ctx);
      case 'bidi_streaming':
        return (requests: AsyncIterable<Message>, ctx: HandlerContext) => this.bidiStreaming(requests, ctx);
    }
  }

  private async unary(request: Message, ctx: HandlerContext): Promise<Message> {
    return this.run(ctx, true, (scope, metadata, callOptions) => {
      const converted = this.toBackend(scope, request);
      return new Promise<Message>((resolve, reject) => {
        const call = this.backend.client.makeUnaryRequest(
          this.definition.path,
          this.definition.requestSerialize,
          this.definition.responseDeserialize,
          converted,
          metadata,
          callOptions,
          (err: ServiceError | null, reply?: unknown) => {
            if (err) reject(err);
            else resolve(this.fromBackend(scope, reply));
          },
        );
        call.on('metadata', (headers: Metadata) => copyHeaders(headers, ctx));
        cancelOnAbort(call, ctx.signal);
      });
    });
  }

  private async *serverStreaming(request: Message, ctx: HandlerContext): AsyncGenerator<Message> {
    yield* this.runStream(ctx, (scope, metadata, callOptions) => {
      const call = this.backend.client.makeServerStreamRequest(
        this.definition.path,
        this.definition.requestSerialize,
        this.definition.responseDeserialize,
        this.toBackend(scope, request),
        metadata,
        callOptions,
      );
      return call;
    });
  }

  private async clientStreaming(requests: AsyncIterable<Message>, ctx: HandlerContext): Promise<Message> {
    return this.run(ctx, false, (scope, metadata, callOptions) => {
      return new Promise<Message>((resolve, reject) => {
        const call = this.backend.client.makeClientStreamRequest(
          this.definition.path,
          this.definition.requestSerialize,
          this.definition.responseDeserialize,
          metadata,
          callOptions,
          (err: ServiceError | null, reply?: unknown) => {
            if (err) reject(err);
            else resolve(this.fromBackend(scope, reply));
          },
        );
        call.on('metadata', (headers: Metadata) => copyHeaders(headers, ctx));
        cancelOnAbort(call, ctx.signal);
        this.pump(scope, requests, call, ctx.signal).catch(() => call.cancel());
      });
    });
  }

  private async *bidiStreaming(
    requests: AsyncIterable<Message>,
    ctx: HandlerContext,
  ): AsyncGenerator<Message> {
    yield* this.runStream(ctx, (scope, metadata, callOptions) => {
      const call = this.backend.client.makeBidiStreamRequest(
        this.definition.path,
        this.definition.requestSerialize,
        this.definition.responseDeserialize,
        metadata,
        callOptions,
      );
      this.pump(scope, requests, call, ctx.signal).catch(() => call.cancel());
      return call;
    });
  }

  /** A call with one response: scope, the running-calls bound, the error mapping, the log line. */
  private async run(
    ctx: HandlerContext,
    unary: boolean,
    call: (scope: CallScope, metadata: Metadata, options: CallOptions) => Promise<Message>,
  ): Promise<Message> {
    const scope = this.enter(ctx, unary);
    try {
      const reply = await context.with(scope.otelContext, () =>
        call(scope, scope.metadata(this.backend.token), { deadline: scope.deadline() ?? Infinity }),
      );
      scope.end(status.OK, 'OK');
      return reply;
    } catch (err: unknown) {
      throw this.fail(scope, err);
    } finally {
      this.running.count--;
    }
  }

  /** A call with a stream of responses, read with backpressure: Connect asks for the next one when it has sent the last. */
  private async *runStream(
    ctx: HandlerContext,
    start: (scope: CallScope, metadata: Metadata, options: CallOptions) => ClientReadableStream<unknown>,
  ): AsyncGenerator<Message> {
    const scope = this.enter(ctx, false);
    let call: ClientReadableStream<unknown> | undefined;
    try {
      call = context.with(scope.otelContext, () =>
        start(scope, scope.metadata(this.backend.token), { deadline: scope.deadline() ?? Infinity }),
      );
      call.on('metadata', (headers: Metadata) => copyHeaders(headers, ctx));
      cancelOnAbort(call, ctx.signal);
      for await (const message of call) yield this.fromBackend(scope, message);
      scope.end(status.OK, 'OK');
    } catch (err: unknown) {
      throw this.fail(scope, err);
    } finally {
      // The caller went away between two messages (the generator was returned): end the backend call too.
      call?.cancel();
      scope.end(status.CANCELLED, 'Cancelled');
      this.running.count--;
    }
  }

  private enter(ctx: HandlerContext, unary: boolean): CallScope {
    const scope = new Scope(this.options, this.name, unary, ctx);
    if (this.running.count >= this.options.maxRunningCalls) {
      const error = gatewayError(
        this.options.registry,
        'the gateway is busy, retry later',
        Code.ResourceExhausted,
        {
          reason: 'SERVER_BUSY',
          domain: this.method.parent.typeName,
          retryDelayMs: BUSY_RETRY_DELAY_MS,
        },
      );
      scope.end(status.RESOURCE_EXHAUSTED, error.rawMessage);
      ctx.values.get(REQUEST_RECORD).logged = true;
      throw error;
    }
    this.running.count++;
    return scope;
  }

  private fail(scope: CallScope, err: unknown): ConnectError {
    const error = toConnectError(err, this.options.registry);
    // Connect's codes are gRPC's, number for number.
    scope.end(error.code as number as status, error.rawMessage, err);
    return error;
  }

  /** Writes every request to the backend call with backpressure, then half-closes it. */
  private async pump(
    scope: CallScope,
    requests: AsyncIterable<Message>,
    call: { write(message: unknown): boolean; end(): void } & NodeJS.EventEmitter,
    signal: AbortSignal,
  ): Promise<void> {
    for await (const request of requests) {
      if (signal.aborted) return;
      if (!call.write(this.toBackend(scope, request))) await once(call, 'drain', { signal });
    }
    call.end();
  }

  private toBackend(scope: CallScope, message: Message): unknown {
    const bytes = toBinary(this.method.input, message);
    scope.receivedBytes += bytes.length;
    return this.definition.requestDeserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  }

  private fromBackend(scope: CallScope, message: unknown): Message {
    const bytes = this.definition.responseSerialize(message);
    scope.sentBytes += bytes.length;
    return fromBinary(this.method.output, bytes);
  }
}

function copyHeaders(metadata: Metadata, ctx: HandlerContext): void {
  for (const [name, value] of headersOf(metadata)) ctx.responseHeader.set(name, value);
}
