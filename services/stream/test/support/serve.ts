import { createLogger, type GrpcServer, type Logger } from '@repo/server-kit';
import { LogSink, listenLocal, type Running } from '@repo/test-kit';

/** A bound server with its captured log lines. */
export interface Served {
  server: GrpcServer;
  running: Running;
  logs: LogSink;
}

/** What GrpcServer.listen takes to serve TLS (see readServerTls). */
export type ServerTls = Parameters<GrpcServer['listen']>[2];

/**
 * Binds the GrpcServer that `create` makes on 127.0.0.1:0, with TLS when `tls` is given, and a
 * logger that writes into a LogSink.
 */
export async function serve(
  name: string,
  create: (logger: Logger) => GrpcServer,
  tls?: ServerTls,
): Promise<Served> {
  const logs = new LogSink();
  const server = create(createLogger({ name, level: 'debug' }, logs));
  const running = await listenLocal(server, 1_000, tls);
  return { server, running, logs };
}

/** The call log lines a server wrote for `method`. */
export function callLines(served: Served, method: string) {
  return served.logs.find('call', (line) => line.method === method);
}
