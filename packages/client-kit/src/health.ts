import { type ChannelCredentials, type ChannelOptions, credentials } from '@grpc/grpc-js';
import {
  type HealthCheckResponse,
  HealthClient as HealthGrpcClient,
  HealthCheckResponse_ServingStatus as Serving,
} from '@repo/proto';
import { type CallOptions, cancelOnAbort, toGrpcCall } from './call-options';

/** grpc.health.v1 serving statuses, as their enum names. */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** The name of a status on the wire; a value this protocol version does not know is UNKNOWN. */
function nameOf(serving: Serving): ServingStatus {
  switch (serving) {
    case Serving.SERVING:
      return 'SERVING';
    case Serving.NOT_SERVING:
      return 'NOT_SERVING';
    case Serving.SERVICE_UNKNOWN:
      return 'SERVICE_UNKNOWN';
    default:
      return 'UNKNOWN';
  }
}

export interface HealthClientOptions {
  /** Plaintext by default (see createTlsCredentials). */
  credentials?: ChannelCredentials;
  /** grpc-js channel options, such as `grpc.ssl_target_name_override`. */
  channelOptions?: ChannelOptions;
}

/** A grpc.health.v1.Health client: what orchestrators and probes ask a server. */
export class HealthClient {
  private readonly grpc: HealthGrpcClient;

  constructor(
    readonly target: string,
    options: HealthClientOptions = {},
  ) {
    this.grpc = new HealthGrpcClient(
      target,
      options.credentials ?? credentials.createInsecure(),
      options.channelOptions ?? {},
    );
  }

  /**
   * Check: the serving status of `service` ('' for the whole server). Rejects with NOT_FOUND
   * for a service the server does not know, UNAVAILABLE when it cannot be reached.
   */
  check(service = '', options?: CallOptions): Promise<ServingStatus> {
    const { metadata, callOptions } = toGrpcCall(options);
    return new Promise((resolve, reject) => {
      const call = this.grpc.check({ service }, metadata, callOptions, (err, reply) =>
        err ? reject(err) : resolve(nameOf(reply.status)),
      );
      cancelOnAbort(call, options?.signal);
    });
  }

  /** Watch: every status change of `service`, starting with the current one. */
  async *watch(service = '', options?: CallOptions): AsyncGenerator<ServingStatus> {
    const { metadata, callOptions } = toGrpcCall(options);
    const call = this.grpc.watch({ service }, metadata, callOptions);
    const detach = cancelOnAbort(call, options?.signal);
    let finished = false;
    try {
      for await (const reply of call as AsyncIterable<HealthCheckResponse>) yield nameOf(reply.status);
      finished = true;
    } finally {
      detach();
      if (!finished) call.cancel();
    }
  }

  close(): void {
    this.grpc.close();
  }
}
