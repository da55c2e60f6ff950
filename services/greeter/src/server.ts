import { GreeterService } from '@repo/proto';
import { createServer, type GrpcServer, type Logger } from '@repo/server-kit';
import { createGreeter } from './greeter';

export { MAX_NAME_LENGTH } from './greeter';

/** The Greeter with health, reflection and call logging; not yet bound (see GrpcServer.listen). */
export function createGreeterServer({ logger }: { logger: Logger }): GrpcServer {
  return createServer({
    logger,
    services: [{ definition: GreeterService, implementation: createGreeter() }],
  });
}
