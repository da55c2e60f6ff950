import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { StreamServiceClient, StreamServiceService } from '@repo/proto';
import { StreamClient } from '@repo/stream-client';
import { createStreamServer } from '../../src/server';
import { type Served, serve } from './serve';
import { serveTestGreeter, type TestGreeter } from './test-greeter';

export const GET_STREAM = StreamServiceService.getStream.path;
export const PUT_STREAM = StreamServiceService.putStream.path;
export const ALL_STREAM = StreamServiceService.allStream.path;

export const MiB = 1024 * 1024;

/** The built service (dist/main.js), for tests that need it in a process of its own (spawnService). */
export const STREAM_MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** The stream service on 127.0.0.1:0, calling the Greeter at `greeterAddr`. */
export function serveStream(greeterAddr: string): Promise<Served> {
  return serve('stream', (logger) => createStreamServer({ logger, greeterAddr }));
}

/**
 * The stream service and the test Greeter it calls, both in this process, and the client library
 * pointed at the stream service. `stop` closes the client and shuts both servers down.
 */
export interface Servers {
  greeter: TestGreeter;
  stream: Served;
  client: StreamClient;
  stop(): Promise<void>;
}

export async function startServers(): Promise<Servers> {
  const greeter = await serveTestGreeter();
  const stream = await serveStream(greeter.running.target);
  const client = new StreamClient({ target: stream.running.target });
  return {
    greeter,
    stream,
    client,
    async stop() {
      client.close();
      await stream.running.stop();
      await greeter.running.stop();
    },
  };
}

/**
 * A raw grpc-js client, for tests that need what the client library hides: write()'s return
 * value, pause(), cancel(). Like StreamClient, it commits each call at once (no retry buffer),
 * so what it buffers is only what grpc-js's streams and HTTP/2 flow control let it.
 */
export function rawStreamClient(target: string): StreamServiceClient {
  return new StreamServiceClient(target, credentials.createInsecure(), {
    'grpc.per_rpc_retry_buffer_size': 0,
  });
}
