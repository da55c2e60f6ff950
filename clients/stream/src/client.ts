import {
  type ChannelCredentials,
  type ChannelOptions,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientWritableStream,
  credentials,
} from '@grpc/grpc-js';
import {
  type CallOptions,
  type Compression,
  cancelOnAbort,
  compressionOptions,
  createTelemetryInterceptor,
  type Source,
  toGrpcCall,
  writeAll,
} from '@repo/client-kit';
import {
  type AllStreamRequest,
  type AllStreamResponse,
  type GetStreamRequest,
  type GetStreamResponse,
  type PutStreamRequest,
  type PutStreamResponse,
  StreamServiceClient,
} from '@repo/proto';
import type { CallTelemetry } from '@repo/telemetry';

export const DEFAULT_TARGET = 'localhost:50052';

export interface StreamClientOptions {
  /** A gRPC target: `host:port` or `dns:///host:port`. */
  target?: string;
  /** Insecure by default. */
  credentials?: ChannelCredentials;
  /** Compress every request message (default none): see Compression in client-kit. */
  compression?: Compression;
  /** grpc-js channel options, over ours. */
  channelOptions?: ChannelOptions;
  /**
   * A CLIENT span per call and gRPC's client metrics (see createTelemetryInterceptor). Without
   * it, calls still carry the active trace context, when an OpenTelemetry SDK is registered.
   */
  telemetry?: CallTelemetry;
}

/**
 * grpc-js keeps every message of a call in a per-call retry buffer until the call is committed
 * to one attempt, which for a client stream happens only when the buffer (1 MiB by default)
 * overflows; after that, grpc-js 1.14 slows to a crawl (a 200,000-message PutStream took 53 s
 * instead of 2 s here). A zero-size buffer commits every call at its first message: nothing is
 * buffered, and nothing is lost, since a stream cannot be retried once it has sent a message.
 */
const CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.per_rpc_retry_buffer_size': 0,
  // Nothing reads channelz, which grpc-js otherwise keeps up to date on every call.
  'grpc.enable_channelz': 0,
};

/** A stream.v1.StreamService client: async iterators in and out, deadlines, AbortSignal. */
export class StreamClient {
  readonly target: string;
  private readonly client: StreamServiceClient;

  constructor(options: StreamClientOptions = {}) {
    this.target = options.target ?? DEFAULT_TARGET;
    this.client = new StreamServiceClient(this.target, options.credentials ?? credentials.createInsecure(), {
      ...CHANNEL_OPTIONS,
      ...compressionOptions(options.compression),
      ...options.channelOptions,
      ...(options.telemetry && {
        interceptors: [createTelemetryInterceptor(options.telemetry, this.target)],
      }),
    });
  }

  /**
   * GetStream as an async iterator. The call starts when the iteration does (`timeoutMs` counts
   * from this method call). Leaving the loop early (break, throw) cancels the call; the
   * iterator throws the call's error (INVALID_ARGUMENT for a bad request, DEADLINE_EXCEEDED,
   * CANCELLED when `options.signal` aborts, UNAVAILABLE).
   */
  getStream(request: Partial<GetStreamRequest>, options?: CallOptions): AsyncIterable<GetStreamResponse> {
    const { metadata, callOptions } = toGrpcCall(options);
    const full: GetStreamRequest = { text: '', count: 1, intervalMs: 0, payloadBytes: 0, ...request };
    return readAll(() => this.client.getStream(full, metadata, callOptions), options?.signal);
  }

  /**
   * PutStream: writes every message of `source` (strings or requests), honouring backpressure,
   * half-closes, and resolves with the server's summary. If the server answers early with an
   * error (INVALID_ARGUMENT for a bad message), writing stops and the promise rejects with it.
   */
  putStream(source: Source<string | PutStreamRequest>, options?: CallOptions): Promise<PutStreamResponse> {
    const { metadata, callOptions } = toGrpcCall(options);
    return new Promise<PutStreamResponse>((resolve, reject) => {
      const call = this.client.putStream(metadata, callOptions, (err, response) => {
        if (err) reject(err);
        else resolve(response);
      });
      cancelOnAbort(call, options?.signal);
      feed(call, source, (item) => (typeof item === 'string' ? { text: item } : item));
    });
  }

  /**
   * AllStream: sends every name of `source` and yields the greetings, in order, as they come.
   * The call starts, and `source` is read, when the iteration does. Leaving the loop early
   * cancels the call.
   */
  allStream(
    source: Source<string | AllStreamRequest>,
    options?: CallOptions,
  ): AsyncIterable<AllStreamResponse> {
    const { metadata, callOptions } = toGrpcCall(options);
    return readAll(() => {
      const call = this.client.allStream(metadata, callOptions);
      feed(call, source, (item) => (typeof item === 'string' ? { name: item } : item));
      return call;
    }, options?.signal);
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}

/**
 * Starts the call only when the iteration starts: grpc-js reports a failed call as an 'error'
 * event, and one emitted before anything listens (a caller that awaits something else before its
 * loop, or never loops) would crash the process as an unhandled 'error'.
 */
async function* readAll<T>(
  start: () => ClientReadableStream<T> | ClientDuplexStream<unknown, T>,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  const call = start();
  const detach = cancelOnAbort(call, signal);
  let finished = false;
  try {
    for await (const message of call as AsyncIterable<T>) yield message;
    finished = true;
  } finally {
    detach();
    if (!finished) call.cancel();
  }
}

/**
 * Writes `source` into a client stream in the background. It stops when the call ends; if
 * writing fails while the call is still open (the source threw), the call is cancelled. Either
 * way the call's status, which the caller reads, says what happened.
 */
function feed<T, U>(
  call: ClientWritableStream<U> | ClientDuplexStream<U, unknown>,
  source: Source<T>,
  map: (item: T) => U,
): void {
  const ended = new AbortController();
  call.once('status', () => ended.abort());
  writeAll(call, source, ended.signal, map).catch(() => {
    if (!ended.signal.aborted) call.cancel();
  });
}
