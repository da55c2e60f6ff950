import { type ChannelCredentials, type Client, credentials, type ServiceDefinition } from '@grpc/grpc-js';
import { createTelemetryInterceptor, HealthClient } from '@repo/client-kit';
import { GreeterClient, GreeterService, StreamServiceClient, StreamServiceService } from '@repo/proto';
import type { CallTelemetry } from '@repo/telemetry';
import { createTlsCredentials } from '@repo/wire';
import type { BackendConfig } from './config';

/** A grpc-js service behind the gateway, reached with the client ts-proto generated for it. */
export interface Backend {
  /** Its full name, as in protos/ (`helloworld.Greeter`). */
  serviceName: string;
  /** ts-proto's definition: method paths, and the serializers of the generated types. */
  definition: ServiceDefinition;
  client: Client;
  /** Sent as `authorization: Bearer <it>`. */
  token?: string;
  /** Whether it answers SERVING to grpc.health.v1 Check (within `timeoutMs`). */
  isServing(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** The services the gateway serves, and where they are. */
export function createBackends(
  { greeter, stream }: { greeter: BackendConfig; stream: BackendConfig },
  telemetry: CallTelemetry = {},
): Backend[] {
  return [
    backendOf('helloworld.Greeter', GreeterService, GreeterClient, greeter, telemetry),
    backendOf('stream.v1.StreamService', StreamServiceService, StreamServiceClient, stream, telemetry),
  ];
}

function backendOf(
  serviceName: string,
  definition: ServiceDefinition,
  ClientClass: new (
    target: string,
    credentials: ChannelCredentials,
    options: Record<string, unknown>,
  ) => Client,
  config: BackendConfig,
  telemetry: CallTelemetry,
): Backend {
  const channelCredentials = config.tls ? createTlsCredentials(config.tls) : credentials.createInsecure();
  const interceptors =
    telemetry.tracer || telemetry.metrics ? [createTelemetryInterceptor(telemetry, config.addr)] : [];
  const client = new ClientClass(config.addr, channelCredentials, {
    interceptors,
    // Every replica behind a dns:/// target, not the first one only.
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  });
  // On the same channel as the calls it answers for (grpc-js shares a target's subchannels).
  const health = new HealthClient(config.addr, { credentials: channelCredentials });
  return {
    serviceName,
    definition,
    client,
    token: config.token,
    isServing: (timeoutMs) =>
      health.check('', { timeoutMs }).then(
        (serving) => serving === 'SERVING',
        () => false,
      ),
    close: () => {
      client.close();
      health.close();
    },
  };
}
