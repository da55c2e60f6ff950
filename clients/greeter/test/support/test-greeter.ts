import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { type GreeterServer, GreeterService, type HelloReply, type HelloRequest } from '@repo/proto';
import { createLogger, createServer, type GrpcServer } from '@repo/server-kit';
import { LogSink, listenLocal, type Running } from '@repo/test-kit';

export type SayHello = (
  call: ServerUnaryCall<HelloRequest, HelloReply>,
  callback: sendUnaryData<HelloReply>,
) => void;

/** What the test Greeter saw of one call. */
export interface SeenCall {
  request: HelloRequest;
  /** Every request header, as strings. */
  metadata: Record<string, string[]>;
  /** Set when grpc-js reports the call cancelled (by the client or its deadline). */
  cancelled: boolean;
}

/** The usual answer: `Hello <name>`. */
export const greet: SayHello = (call, callback) => callback(null, { message: `Hello ${call.request.name}` });

/**
 * A real helloworld.Greeter server on 127.0.0.1:0, built from the generated service definition:
 * SayHello does whatever the test puts in `behaviour` (by default `greet`), and every call is
 * recorded in `calls`.
 */
export class TestGreeter {
  behaviour: SayHello = greet;
  readonly calls: SeenCall[] = [];
  readonly logs = new LogSink();
  readonly server: GrpcServer;
  private running: Running | undefined;

  private constructor() {
    const implementation: GreeterServer = {
      sayHello: (call, callback) => {
        const seen: SeenCall = { request: call.request, metadata: headersOf(call), cancelled: false };
        this.calls.push(seen);
        call.once('cancelled', () => {
          seen.cancelled = true;
        });
        this.behaviour(call, callback);
      },
    };
    this.server = createServer({
      logger: createLogger({ name: 'test-greeter', level: 'info' }, this.logs),
      services: [{ definition: GreeterService, implementation }],
    });
  }

  static async start(): Promise<TestGreeter> {
    const greeter = new TestGreeter();
    greeter.running = await listenLocal(greeter.server);
    return greeter;
  }

  get target(): string {
    if (!this.running) throw new Error('not started');
    return this.running.target;
  }

  async stop(): Promise<void> {
    await this.running?.stop();
  }
}

function headersOf(call: ServerUnaryCall<HelloRequest, HelloReply>): Record<string, string[]> {
  return Object.fromEntries(
    Object.keys(call.metadata.getMap()).map((key) => [key, call.metadata.get(key).map(String)]),
  );
}
