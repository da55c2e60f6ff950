import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Metadata,
  ServerDuplexStream,
  ServerReadableStream,
  ServerWritableStream,
  sendUnaryData,
} from '@grpc/grpc-js';
import {
  type AllStreamRequest,
  type AllStreamResponse,
  type GetStreamRequest,
  type GetStreamResponse,
  type PutStreamRequest,
  type PutStreamResponse,
  type StreamServiceServer,
  StreamServiceService,
} from '@repo/proto';
import {
  createLogger,
  createServer,
  type GrpcServer,
  invalidArgument,
  signalOf,
  violation,
} from '@repo/server-kit';
import { LogSink, listenLocal, type Running } from '@repo/test-kit';

/** What the test server saw of one call. */
export interface SeenCall {
  method: 'getStream' | 'putStream' | 'allStream';
  metadata: Metadata;
  /** The GetStream request, or every message of a client stream that the handler read. */
  received: unknown[];
  /** Set when grpc-js reports the call cancelled (by the client or its deadline). */
  cancelled: boolean;
}

type GetStream = (
  call: ServerWritableStream<GetStreamRequest, GetStreamResponse>,
  seen: SeenCall,
) => Promise<void>;
type PutStream = (
  call: ServerReadableStream<PutStreamRequest, PutStreamResponse>,
  callback: sendUnaryData<PutStreamResponse>,
  seen: SeenCall,
) => Promise<void>;
type AllStream = (
  call: ServerDuplexStream<AllStreamRequest, AllStreamResponse>,
  seen: SeenCall,
) => Promise<void>;

/**
 * The messages of a client stream, recorded in `seen` as they are read. The stream is left open
 * when the loop ends early, so that the handler can still answer.
 */
export async function* read<T>(
  call: { iterator(options: { destroyOnReturn: boolean }): AsyncIterable<T> },
  seen: SeenCall,
): AsyncGenerator<T> {
  for await (const message of call.iterator({ destroyOnReturn: false })) {
    seen.received.push(message);
    yield message;
  }
}

/** The server the test client talks to; what the server's messages and summaries look like. */
export const SERVED_BY = 'test-server';

/** Streams `count` messages `intervalMs` apart, stopping (timer included) when cancelled. */
const defaultGetStream: GetStream = async (call) => {
  const { text, count, intervalMs, payloadBytes } = call.request;
  if (count < 1)
    throw invalidArgument(violation('count', `must be at least 1, got ${count}`, 'OUT_OF_RANGE'));
  const signal = signalOf(call);
  for (let index = 1; index <= count; index++) {
    if (index > 1 && intervalMs > 0) await sleep(intervalMs, undefined, { signal }).catch(() => {});
    if (signal.aborted) return;
    call.write({ index, text, payload: Buffer.alloc(payloadBytes, 'p') });
  }
  call.end();
};

/** Answers with the count, the UTF-8 size and every text, comma-separated. */
const defaultPutStream: PutStream = async (call, callback, seen) => {
  const texts: string[] = [];
  for await (const { text } of read(call, seen)) texts.push(text);
  if (call.cancelled) return;
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  callback(null, { count: texts.length, bytes, preview: texts.join(', ') });
};

/** Answers every name with `Hello <name>`, in order. */
const defaultAllStream: AllStream = async (call, seen) => {
  for await (const { name } of read(call, seen)) {
    if (name === '') throw invalidArgument(violation('name', 'must not be empty', 'EMPTY'));
    call.write({ message: `Hello ${name}`, servedBy: SERVED_BY });
  }
  if (!call.cancelled) call.end();
};

/**
 * A real stream.v1.StreamService server on 127.0.0.1:0, built from the generated definition:
 * each method does what the test puts in `getStream`, `putStream` or `allStream` (by default
 * the simple implementations above), and every call and every message it reads are recorded.
 */
export class TestStreamServer {
  getStream: GetStream = defaultGetStream;
  putStream: PutStream = defaultPutStream;
  allStream: AllStream = defaultAllStream;
  readonly calls: SeenCall[] = [];
  readonly logs = new LogSink();
  readonly server: GrpcServer;
  private running: Running | undefined;

  private constructor() {
    const implementation: StreamServiceServer = {
      getStream: (call) => {
        const seen = this.record('getStream', call);
        seen.received.push(call.request);
        return this.getStream(call, seen);
      },
      putStream: (call, callback) => this.putStream(call, callback, this.record('putStream', call)),
      allStream: (call) => this.allStream(call, this.record('allStream', call)),
    };
    this.server = createServer({
      logger: createLogger({ name: 'test-stream', level: 'info' }, this.logs),
      services: [{ definition: StreamServiceService, implementation }],
    });
  }

  static async start(): Promise<TestStreamServer> {
    const server = new TestStreamServer();
    server.running = await listenLocal(server.server);
    return server;
  }

  get target(): string {
    if (!this.running) throw new Error('not started');
    return this.running.target;
  }

  /** The only call the server got, for tests that make one. */
  get call(): SeenCall {
    if (this.calls.length !== 1) throw new Error(`expected one call, got ${this.calls.length}`);
    return this.calls[0] as SeenCall;
  }

  async stop(): Promise<void> {
    await this.running?.stop();
  }

  private record(
    method: SeenCall['method'],
    call: { metadata: Metadata; once(event: 'cancelled', listener: () => void): unknown },
  ): SeenCall {
    const seen: SeenCall = { method, metadata: call.metadata, received: [], cancelled: false };
    this.calls.push(seen);
    call.once('cancelled', () => {
      seen.cancelled = true;
    });
    return seen;
  }
}
