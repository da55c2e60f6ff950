import { type ChannelOptions, type Client, credentials } from '@grpc/grpc-js';
import { GreeterClient, StreamServiceClient } from '@repo/proto';
import type { LoadKind } from './options';

const CHANNEL_OPTIONS: ChannelOptions = {
  // grpc-js shares one subchannel, hence one HTTP/2 connection, between all channels to the same
  // address; a local pool per channel gives each its own connection.
  'grpc.use_local_subchannel_pool': 1,
  // Each call is one attempt, as in h2load: a stream the server refuses counts as an error
  // instead of being retried out of sight (and no attempt is buffered for a retry).
  'grpc.enable_retries': 0,
  // Without retries nothing needs buffering for them; with grpc-js's default 1 MiB per call,
  // every PutStream write would complete at once, far ahead of HTTP/2 flow control, and the
  // messages pile up in this process instead of pacing it.
  'grpc.per_rpc_retry_buffer_size': 0,
  // Nobody reads this process's channelz; its per-call bookkeeping would be load-tool overhead.
  'grpc.enable_channelz': 0,
};

/** `count` plaintext clients of the service `kind` calls, each on its own HTTP/2 connection. */
export function createClients(kind: LoadKind, target: string, count: number): Client[] {
  const Constructor = kind === 'unary' ? GreeterClient : StreamServiceClient;
  return Array.from(
    { length: count },
    () => new Constructor(target, credentials.createInsecure(), CHANNEL_OPTIONS),
  );
}

/**
 * Resolves once the client's channel is READY or `timeoutMs` has passed; never rejects (the
 * calls of a run against a server that cannot be reached then say why, as UNAVAILABLE).
 */
export function whenConnected(client: Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => client.waitForReady(Date.now() + timeoutMs, () => resolve()));
}
