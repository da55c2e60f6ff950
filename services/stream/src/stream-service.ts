import type { Greeter } from '@repo/greeter-client';
import type { StreamServiceServer } from '@repo/proto';
import { createAllStream } from './all-stream';
import { getStream } from './get-stream';
import { putStream } from './put-stream';

export interface StreamServiceDeps {
  /** The client AllStream asks for greetings. */
  greeter: Greeter;
}

export function createStreamService({ greeter }: StreamServiceDeps): StreamServiceServer {
  return { getStream, putStream, allStream: createAllStream(greeter) };
}
