import type { ChannelOptions } from '@grpc/grpc-js';
import { Greeter } from '@repo/greeter-client';
import { StreamServiceService } from '@repo/proto';
import { createServer, type GrpcServer, type Logger } from '@repo/server-kit';
import { createStreamService } from './stream-service';

/**
 * StreamService with health, reflection and call logging, and its own client of the Greeter
 * at `greeterAddr` (closed when the server shuts down); not yet bound (see GrpcServer.listen).
 */
export interface StreamServerOptions {
  logger: Logger;
  /** Where the Greeter is: host:port, or dns:///host:port for every replica. */
  greeterAddr: string;
  /** grpc-js server options (see serverOptionsOf). */
  serverOptions?: ChannelOptions;
}

export function createStreamServer({ logger, greeterAddr, serverOptions }: StreamServerOptions): GrpcServer {
  const greeter = new Greeter({ target: greeterAddr });
  return createServer({
    logger,
    services: [{ definition: StreamServiceService, implementation: createStreamService({ greeter }) }],
    serverOptions,
    onClose: () => greeter.close(),
  });
}
