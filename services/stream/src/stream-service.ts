import type { Greeter } from '@repo/greeter-client';
import type { StreamServiceServer } from '@repo/proto';
import { allStreamHandler } from './all-stream';
import { getStream } from './get-stream';
import { putStream } from './put-stream';

export interface StreamServiceDeps {
  /** The client AllStream asks for greetings. */
  greeter: Greeter;
  /** Sent with every Greeter call as a bearer token, when the Greeter requires one. */
  greeterToken?: string;
}

export function streamServiceHandlers({ greeter, greeterToken }: StreamServiceDeps): StreamServiceServer {
  return { getStream, putStream, allStream: allStreamHandler(greeter, greeterToken) };
}
