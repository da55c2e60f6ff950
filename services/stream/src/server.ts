import { Greeter } from '@repo/greeter-client';
import { StreamServiceService } from '@repo/proto';
import { createServer, type GrpcServer, type Logger } from '@repo/server-kit';
import { createStreamService } from './stream-service';

/**
 * StreamService with health, reflection and call logging, and its own client of the Greeter
 * at `greeterAddr` (closed when the server shuts down); not yet bound (see GrpcServer.listen).
 */
export function createStreamServer({
  logger,
  greeterAddr,
}: {
  logger: Logger;
  greeterAddr: string;
}): GrpcServer {
  const greeter = new Greeter({ target: greeterAddr });
  return createServer({
    logger,
    services: [{ definition: StreamServiceService, implementation: createStreamService({ greeter }) }],
    onClose: () => greeter.close(),
  });
}
