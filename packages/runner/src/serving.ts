import { type ChannelOptions, credentials, Metadata } from '@grpc/grpc-js';
import { HealthClient, HealthCheckResponse_ServingStatus as Status } from '@repo/proto';

/** Asks a server once whether it is ready; resolves false (or rejects) when it is not yet. */
export type ReadinessProbe = (target: string, timeoutMs: number) => Promise<boolean>;

// A poller that asks every few milliseconds must not sit out grpc-js's 1 s reconnect backoff,
// and must not share a subchannel (and its backoff) with the caller's own clients.
const POLLING_CHANNEL: ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 5,
  'grpc.max_reconnect_backoff_ms': 50,
  'grpc.use_local_subchannel_pool': 1,
};

export interface WaitOptions {
  /** What "ready" means; default: grpc.health.v1 Check of the whole server answers SERVING. */
  probe?: ReadinessProbe;
  /** Pause between two attempts, in ms (default 5). */
  intervalMs?: number;
  /** Give up after this many ms (default 10000). */
  timeoutMs?: number;
  /** True once waiting is pointless (the process exited, say): rejects at once. */
  gaveUp?: () => boolean;
}

/**
 * Asks `target` (host:port) every `intervalMs` until `probe` says it is ready, and resolves with
 * the time of that answer (performance.now(), ms). Rejects with the last reason after
 * `timeoutMs`, or as soon as `gaveUp()` is true. The default probe keeps one plaintext channel
 * for every attempt, so only the first pays for the connection.
 */
export async function waitForServing(target: string, options: WaitOptions = {}): Promise<number> {
  const { intervalMs = 5, timeoutMs = 10_000, gaveUp = () => false } = options;
  const health = options.probe
    ? undefined
    : new HealthClient(target, credentials.createInsecure(), POLLING_CHANNEL);
  let last = 'no answer';
  const probe =
    options.probe ??
    ((_target: string, attemptMs: number) =>
      new Promise<boolean>((resolve, reject) => {
        health?.check({ service: '' }, new Metadata(), { deadline: Date.now() + attemptMs }, (err, reply) => {
          if (err) return reject(err);
          last = `health: ${Status[reply.status] ?? reply.status}`;
          resolve(reply.status === Status.SERVING);
        });
      }));
  const deadline = performance.now() + timeoutMs;
  try {
    for (;;) {
      const attemptMs = Math.max(1, Math.min(1_000, deadline - performance.now()));
      try {
        if (await probe(target, attemptMs)) return performance.now();
      } catch (err: unknown) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (gaveUp()) throw new Error(`${target} went away before it was ready (${last})`);
      if (performance.now() >= deadline) {
        throw new Error(`${target} was not ready within ${Math.round(timeoutMs)} ms (${last})`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  } finally {
    health?.close();
  }
}
