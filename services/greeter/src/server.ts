import { GreeterService } from '@repo/proto';
import { createServer, type GrpcServer, type Logger, type ServerLimits } from '@repo/server-kit';
import { createGreeter } from './greeter';

export { MAX_NAME_LENGTH } from './greeter';

export interface GreeterServerOptions {
  logger: Logger;
  /** What clients may use (see ServerLimits); LIMIT_DEFAULTS for the rest. */
  limits?: Partial<ServerLimits>;
  /** The bearer token this server requires (AUTH_TOKEN); unset: none. */
  authToken?: string;
}

/** The Greeter with health, reflection and call logging; not yet bound (see GrpcServer.listen). */
export function createGreeterServer({ logger, limits, authToken }: GreeterServerOptions): GrpcServer {
  return createServer({
    logger,
    limits,
    authToken,
    services: [{ definition: GreeterService, implementation: createGreeter() }],
  });
}
