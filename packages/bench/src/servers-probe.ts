import { type ChannelOptions, Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { GreeterClient } from '@repo/proto';
import { decodeMessage } from './baselines/wire';

/** How a contender proves it is ready: our services through grpc.health.v1, baselines by greeting. */
export type ReadinessProbe = 'health' | 'say-hello';

const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
const SERVING = 1;

// A probe that retries every few milliseconds must not sit out grpc-js's 1 s reconnect backoff.
const PROBE_CHANNEL: ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 5,
  'grpc.max_reconnect_backoff_ms': 50,
  'grpc.use_local_subchannel_pool': 1,
};

function healthCheck(client: Client, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    // HealthCheckRequest{service: ""} is the empty message: the server's overall status.
    client.makeUnaryRequest(
      HEALTH_CHECK,
      (request: Buffer) => request,
      (response: Buffer) => response,
      Buffer.alloc(0),
      { deadline: Date.now() + timeoutMs },
      (err: ServiceError | null, response?: Buffer) => {
        if (err || !response) return resolve(false);
        try {
          resolve(decodeMessage(response).varints.get(1) === SERVING);
        } catch {
          resolve(false);
        }
      },
    );
  });
}

function sayHello(client: GreeterClient, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    client.sayHello({ name: 'world' }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, reply) => {
      resolve(!err && reply?.message === 'Hello world');
    });
  });
}

export interface ReadyOptions {
  /** Pause between two attempts, in ms (default 5). */
  intervalMs?: number;
  /** Give up after this many ms (default 10000). */
  timeoutMs?: number;
  /** True once waiting is pointless, e.g. the process has exited. */
  gaveUp?: () => boolean;
}

/**
 * Asks the server at `target` (host:port) every `intervalMs` milliseconds until it answers as
 * ready: health Check answering SERVING, or SayHello{name:"world"} answering "Hello world".
 * Resolves with the time of the first such answer (performance.now(), ms); rejects after
 * `timeoutMs` or as soon as `gaveUp()` (the process exited) is true. One channel serves every
 * attempt, so only the first pays for the connection.
 */
export async function waitUntilReady(
  probe: ReadinessProbe,
  target: string,
  { intervalMs = 5, timeoutMs = 10_000, gaveUp = () => false }: ReadyOptions = {},
): Promise<number> {
  const client =
    probe === 'health'
      ? new Client(target, credentials.createInsecure(), PROBE_CHANNEL)
      : new GreeterClient(target, credentials.createInsecure(), PROBE_CHANNEL);
  const deadline = performance.now() + timeoutMs;
  try {
    for (;;) {
      const remaining = Math.max(1, Math.min(1_000, deadline - performance.now()));
      const ready =
        probe === 'health'
          ? await healthCheck(client, remaining)
          : await sayHello(client as GreeterClient, remaining);
      if (ready) return performance.now();
      if (gaveUp()) throw new Error(`${target} went away before it was ready`);
      if (performance.now() >= deadline) throw new Error(`${target} was not ready within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  } finally {
    client.close();
  }
}
