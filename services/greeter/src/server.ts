import { GreeterService } from '@repo/proto';
import { createServer, type GrpcServer, type Logger, type ServerLimits } from '@repo/server-kit';
import type { CallTelemetry } from '@repo/telemetry';
import { greeterHandlers } from './greeter';

export { MAX_NAME_LENGTH } from './greeter';

export interface GreeterServerOptions {
  logger: Logger;
  /** What clients may use (see ServerLimits); LIMIT_DEFAULTS for the rest. */
  limits?: Partial<ServerLimits>;
  /** The bearer token this server requires (AUTH_TOKEN); unset: none. */
  authToken?: string;
  /** Spans and gRPC metrics for every call (see createServer); unset: none. */
  telemetry?: CallTelemetry;
}

/** The Greeter with health, reflection and call logging; not yet bound (see GrpcServer.listen). */
export function createGreeterServer({
  logger,
  limits,
  authToken,
  telemetry,
}: GreeterServerOptions): GrpcServer {
  return createServer({
    logger,
    limits,
    authToken,
    telemetry,
    services: [{ definition: GreeterService, implementation: greeterHandlers() }],
  });
}
