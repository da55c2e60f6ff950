import type { Greeter } from '@repo/greeter-client';
import type { StreamServiceServer } from '@repo/proto';
import { createAllStream } from './all-stream';
import { getStream } from './get-stream';
import { putStream } from './put-stream';

export interface StreamServiceDeps {
  /** The client AllStream asks for greetings. */
  greeter: Greeter;
  /** Sent with every Greeter call as a bearer token, when the Greeter requires one. */
  greeterToken?: string;
}

export function createStreamService({ greeter, greeterToken }: StreamServiceDeps): StreamServiceServer {
  return { getStream, putStream, allStream: createAllStream(greeter, greeterToken) };
}
