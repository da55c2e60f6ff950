import { type ChannelCredentials, type ChannelOptions, credentials, type Metadata } from '@grpc/grpc-js';
import {
  type CallOptions,
  type Compression,
  cancelOnAbort,
  compressionOptions,
  createTelemetryInterceptor,
  toGrpcCall,
} from '@repo/client-kit';
import { GreeterClient as GeneratedClient } from '@repo/proto';
import type { CallTelemetry } from '@repo/telemetry';
import { SERVED_BY_HEADER } from '@repo/wire';

export const DEFAULT_TARGET = 'localhost:50051';

export interface GreeterClientOptions {
  /** A gRPC target: `host:port` or `dns:///host:port` (all addresses, round-robin). */
  target?: string;
  /** Insecure by default. */
  credentials?: ChannelCredentials;
  /** Compress every request message (default none): see Compression in client-kit. */
  compression?: Compression;
  /** grpc-js channel options, over ours. */
  channelOptions?: ChannelOptions;
  /**
   * A CLIENT span per call and gRPC's client metrics (see createTelemetryInterceptor). Without
   * it, calls still carry the active trace context, when an OpenTelemetry SDK is registered.
   */
  telemetry?: CallTelemetry;
}

export interface Greeting {
  /** `Hello <name>`. */
  message: string;
  /** The greeter instance that answered (`hostname/pid`, its `x-served-by` header). */
  servedBy: string;
}

/**
 * Spread calls over every address the target resolves to (Greeter replicas behind one DNS
 * name), and retry a call that could not reach a replica: SayHello is idempotent, and
 * UNAVAILABLE means it did not run. No other code is retried.
 */
const SERVICE_CONFIG = {
  loadBalancingConfig: [{ round_robin: {} }],
  methodConfig: [
    {
      name: [{ service: 'helloworld.Greeter' }],
      retryPolicy: {
        maxAttempts: 3,
        initialBackoff: '0.05s',
        maxBackoff: '0.5s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    },
  ],
};

/** A helloworld.Greeter client with promises, deadlines and AbortSignal cancellation. */
export class Greeter {
  readonly target: string;
  private readonly client: GeneratedClient;

  constructor(options: GreeterClientOptions = {}) {
    this.target = options.target ?? DEFAULT_TARGET;
    this.client = new GeneratedClient(this.target, options.credentials ?? credentials.createInsecure(), {
      'grpc.service_config': JSON.stringify(SERVICE_CONFIG),
      // grpc-js re-resolves a name only when a connection ends, at most every 30 s by default:
      // 5 s lets a replica that (re)started be found soon after the next reconnection.
      'grpc.dns_min_time_between_resolutions_ms': 5_000,
      // A silent network (a dropped route, a dead host) is found by a ping instead of each call
      // waiting out its deadline on a dead connection. grpc-js pings only while calls are open,
      // which servers enforcing gRPC's ping rules (ours included) never count as a strike.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      // The reconnect backoff grows to 120 s by default: after a long outage a Greeter that is
      // back would be found up to two minutes late.
      'grpc.max_reconnect_backoff_ms': 5_000,
      // Nothing reads channelz, which grpc-js otherwise keeps up to date on every call.
      'grpc.enable_channelz': 0,
      ...compressionOptions(options.compression),
      ...options.channelOptions,
      ...(options.telemetry && {
        interceptors: [createTelemetryInterceptor(options.telemetry, this.target)],
      }),
    });
  }

  /**
   * Calls SayHello. Rejects with the call's error (a grpc-js ServiceError: `code`, `details`):
   * INVALID_ARGUMENT for an empty, too long or invalid name, UNAVAILABLE when no greeter can be
   * reached, DEADLINE_EXCEEDED, CANCELLED when `options.signal` aborts.
   */
  sayHello(name: string, options?: CallOptions): Promise<Greeting> {
    const { metadata, callOptions } = toGrpcCall(options);
    return new Promise((resolve, reject) => {
      let servedBy = '';
      const call = this.client.sayHello({ name }, metadata, callOptions, (err, reply) => {
        if (err) reject(err);
        else resolve({ message: reply.message, servedBy });
      });
      call.once('metadata', (headers: Metadata) => {
        servedBy = String(headers.get(SERVED_BY_HEADER)[0] ?? '');
      });
      cancelOnAbort(call, options?.signal);
    });
  }

  /** Closes the channel; calls in flight fail with CANCELLED or UNAVAILABLE. */
  close(): void {
    this.client.close();
  }
}
