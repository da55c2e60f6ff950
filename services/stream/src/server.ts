import { Greeter } from '@repo/greeter-client';
import { StreamServiceService } from '@repo/proto';
import { createServer, type GrpcServer, type Logger, type ServerLimits } from '@repo/server-kit';
import type { CallTelemetry } from '@repo/telemetry';
import { createTlsCredentials, type TlsPems } from '@repo/wire';
import { streamServiceHandlers } from './stream-service';

export interface StreamServerOptions {
  logger: Logger;
  /** Where the Greeter is: host:port, or dns:///host:port for every replica. */
  greeterAddr: string;
  /** What clients may use (see ServerLimits); LIMIT_DEFAULTS for the rest. */
  limits?: Partial<ServerLimits>;
  /** The bearer token this server requires (AUTH_TOKEN); unset: none. */
  authToken?: string;
  /** The bearer token sent to the Greeter (GREETER_TOKEN); unset: none. */
  greeterToken?: string;
  /** TLS to the Greeter (GREETER_CA_FILE, ...: see readChannelTls); unset: plaintext. */
  greeterTls?: TlsPems;
  /** Spans and gRPC metrics for every call served and every Greeter call made; unset: none. */
  telemetry?: CallTelemetry;
}

/**
 * StreamService with health, reflection and call logging, and its own client of the Greeter
 * at `greeterAddr` (closed when the server shuts down); not yet bound (see GrpcServer.listen).
 */
export function createStreamServer({
  logger,
  greeterAddr,
  limits,
  authToken,
  greeterToken,
  greeterTls,
  telemetry,
}: StreamServerOptions): GrpcServer {
  const greeter = new Greeter({
    target: greeterAddr,
    credentials: greeterTls && createTlsCredentials(greeterTls),
    telemetry,
  });
  return createServer({
    logger,
    services: [
      { definition: StreamServiceService, implementation: streamServiceHandlers({ greeter, greeterToken }) },
    ],
    limits,
    authToken,
    telemetry,
    onClose: () => greeter.close(),
  });
}
