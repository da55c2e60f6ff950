import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { LogSink } from '@repo/test-kit';
import { createLogger, createServer, type GrpcServer, type ServerLimits } from '../../src';

export interface TestServer {
  server: GrpcServer;
  logs: LogSink;
  port: number;
  /** `127.0.0.1:<port>`. */
  target: string;
}

/** createServer with these services, logging at debug into a LogSink, bound on 127.0.0.1:0. */
export async function startServer(
  services: { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[],
  {
    onClose,
    limits,
    slowCallMs,
  }: { onClose?: () => void | Promise<void>; limits?: Partial<ServerLimits>; slowCallMs?: number } = {},
): Promise<TestServer> {
  const logs = new LogSink();
  const logger = createLogger({ name: 'test', level: 'debug' }, logs);
  const server = createServer({ services, logger, limits, slowCallMs, ...(onClose ? { onClose } : {}) });
  const port = await server.listen('127.0.0.1', 0);
  return { server, logs, port, target: `127.0.0.1:${port}` };
}
