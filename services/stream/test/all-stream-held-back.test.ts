import { status } from '@grpc/grpc-js';
import { errorDetailsOf, type StreamClient } from '@repo/stream-client';
import { drain } from '@repo/test-kit';
import { startServers } from './support/servers';

let client: StreamClient;
let stop: () => Promise<void>;

beforeEach(async () => {
  ({ client, stop } = await startServers());
});

afterEach(() => stop());

const messagesOf = (received: { message: string }[]) => received.map(({ message }) => message);

describe('AllStream with a client that waits for each answer', () => {
  it('fails at a refused name while the client holds back the next one', async () => {
    let release = () => {};
    async function* names() {
      yield 'Ada';
      yield 'invalid';
      // Waits for the answers before sending more, as a client going one name at a time does.
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    }
    const { received, error } = await drain(client.allStream(names(), { timeoutMs: 5_000 }));
    release();

    expect(messagesOf(received)).toEqual(['Hello Ada']);
    // Not DEADLINE_EXCEEDED: the status goes out without waiting for a message that never comes.
    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'message 2: name is not this one',
    });
    // The Greeter's field violation and reason pass through, with the message's position.
    expect(errorDetailsOf(error)).toEqual({
      errorInfo: {
        reason: 'NAME_NOT_THIS_ONE',
        domain: 'stream.v1.StreamService',
        metadata: { message: '2' },
      },
      badRequest: { fieldViolations: [{ field: 'name', description: 'is not this one' }] },
    });
  });
});
