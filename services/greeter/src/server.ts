import type { ChannelOptions } from '@grpc/grpc-js';
import { GreeterService } from '@repo/proto';
import { createServer, type GrpcServer, type Logger } from '@repo/server-kit';
import { createGreeter } from './greeter';

export { MAX_NAME_LENGTH } from './greeter';

export interface GreeterServerOptions {
  logger: Logger;
  /** grpc-js server options (see serverOptionsOf). */
  serverOptions?: ChannelOptions;
  /** The bearer token this server requires (AUTH_TOKEN); unset: none. */
  authToken?: string;
}

/** The Greeter with health, reflection and call logging; not yet bound (see GrpcServer.listen). */
export function createGreeterServer({ logger, serverOptions, authToken }: GreeterServerOptions): GrpcServer {
  return createServer({
    logger,
    serverOptions,
    authToken,
    services: [{ definition: GreeterService, implementation: createGreeter() }],
  });
}
