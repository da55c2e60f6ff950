import { join } from 'node:path';
import { createGreeterServer } from '@repo/greeter';
import { createLogger, type GrpcServer, type Logger } from '@repo/server-kit';
import { StreamClient } from '@repo/stream-client';
import { LogSink, listenLocal, type Running, type ServiceProcess } from '@repo/test-kit';
import { createStreamServer } from '../../src/server';

export const GET_STREAM = '/stream.v1.StreamService/GetStream';
export const PUT_STREAM = '/stream.v1.StreamService/PutStream';
export const ALL_STREAM = '/stream.v1.StreamService/AllStream';

/** A bound server with its captured log lines. */
export interface Served {
  server: GrpcServer;
  running: Running;
  logs: LogSink;
}

/** Binds the GrpcServer that `create` makes, with a logger that writes into a LogSink. */
export async function serve(name: string, create: (logger: Logger) => GrpcServer): Promise<Served> {
  const logs = new LogSink();
  const server = create(createLogger({ name, level: 'debug' }, logs));
  const running = await listenLocal(server);
  return { server, running, logs };
}

/** The real Greeter on 127.0.0.1:0. */
export function serveGreeter(): Promise<Served> {
  return serve('greeter', (logger) => createGreeterServer({ logger }));
}

/** The stream service on 127.0.0.1:0, calling the Greeter at `greeterAddr`. */
export function serveStream(greeterAddr: string): Promise<Served> {
  return serve('stream', (logger) => createStreamServer({ logger, greeterAddr }));
}

/**
 * The whole path under test: a real Greeter, the stream service pointed at it, and the client
 * library pointed at the stream service. `stop` closes the client and shuts both servers down.
 */
export interface StreamStack {
  greeter: Served;
  stream: Served;
  client: StreamClient;
  stop(): Promise<void>;
}

export async function startStack(): Promise<StreamStack> {
  return startStackAround(await serveGreeter());
}

/** The stream service pointed at `greeter`, and the client library pointed at the stream service. */
export async function startStackAround<G extends Served>(greeter: G): Promise<StreamStack & { greeter: G }> {
  const stream = await serveStream(greeter.running.target);
  const client = new StreamClient({ target: stream.running.target });
  return {
    greeter,
    stream,
    client,
    async stop() {
      client.close();
      await stream.running.stop();
      await greeter.running.stop();
    },
  };
}

/** The call log lines a server wrote for `method`. */
export function callLines(served: Served, method: string) {
  return served.logs.find('call', (line) => line.method === method);
}

/** The built service (dist/main.js), for tests that need it in a process of its own. */
export const STREAM_MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** SIGTERM, then waits (bounded) for the process to exit; returns its exit code or signal. */
export async function stopProcess(service: ServiceProcess, timeoutMs = 5_000): Promise<number | string> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return service.exited;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), timeoutMs);
  try {
    return await service.exited;
  } finally {
    clearTimeout(timer);
  }
}
