import { credentials } from '@grpc/grpc-js';
import { GreeterService, StreamServiceClient, StreamServiceService } from '@repo/proto';
import { type LogLine, type ServiceProcess, spawnService } from '@repo/test-kit';

/** The built services' entry points (their `main` exports), each run in a process of its own. */
export const GREETER_MAIN = require.resolve('@repo/greeter/main');
export const STREAM_MAIN = require.resolve('@repo/stream/main');

const SAY_HELLO = GreeterService.sayHello.path;
export const GET_STREAM = StreamServiceService.getStream.path;
export const PUT_STREAM = StreamServiceService.putStream.path;
export const ALL_STREAM = StreamServiceService.allStream.path;

export const MiB = 1024 * 1024;

/**
 * How long the stream service lets a Greeter call take when the AllStream call has no earlier
 * deadline (its README: "or 5 s, if earlier"). Its own constant is internal: these tests hold it
 * to what it documents.
 */
export const GREETER_TIMEOUT_MS = 5_000;

/** A Greeter process and a stream service process calling it. */
export interface ServiceProcesses {
  greeter: ServiceProcess;
  stream: ServiceProcess;
  /** Stops both (see ServiceProcess.stop); resolves once both exited. */
  stop(): Promise<void>;
}

/** Starts the Greeter, then the stream service calling it; `streamEnv` and `greeterEnv` add to their environments. */
export async function spawnServices(
  streamEnv: Record<string, string> = {},
  greeterEnv: Record<string, string> = {},
): Promise<ServiceProcesses> {
  const greeter = await spawnService(GREETER_MAIN, greeterEnv);
  let stream: ServiceProcess;
  try {
    stream = await spawnService(STREAM_MAIN, { GREETER_ADDR: greeter.target, ...streamEnv });
  } catch (err: unknown) {
    await greeter.stop();
    throw err;
  }
  return {
    greeter,
    stream,
    async stop() {
      await Promise.all([stream.stop(), greeter.stop()]);
    },
  };
}

/**
 * A raw grpc-js client, for tests that need what the client library hides: write()'s return
 * value, pause(), cancel(). Like StreamClient, it commits each call at once (no retry buffer),
 * so what it buffers is only what grpc-js's streams and HTTP/2 flow control let it.
 */
export function rawStreamClient(target: string): StreamServiceClient {
  return new StreamServiceClient(target, credentials.createInsecure(), {
    'grpc.per_rpc_retry_buffer_size': 0,
  });
}

/** The SayHello calls a Greeter process has logged so far (every one, at LOG_LEVEL=info). */
export function sayHelloLines(greeter: ServiceProcess): LogLine[] {
  return greeter.logs.filter((line) => line.msg === 'call' && line.method === SAY_HELLO);
}
