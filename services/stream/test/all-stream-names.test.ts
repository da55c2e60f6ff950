import { status } from '@grpc/grpc-js';
import { drain } from '@repo/test-kit';
import { ALL_STREAM_LIMITS } from '../src/all-stream';
import { type Servers, startServers } from './support/servers';

// The test Greeter greets any name, empty included, as the helloworld servers of other languages
// do: the stream service must refuse a bad name itself, whichever Greeter is behind it.
let servers: Servers;

beforeEach(async () => {
  servers = await startServers();
});

afterEach(() => servers.stop());

describe('AllStream names, checked by the stream service itself', () => {
  it.each([
    ['an empty name', '', 'name must not be empty'],
    ['a blank name', '   ', 'name must not be empty'],
    [
      'a name with a control character',
      'A\u0007da',
      'name must be valid UTF-8 text without control characters',
    ],
    [
      'a name one character too long',
      'x'.repeat(ALL_STREAM_LIMITS.maxNameLength + 1),
      `name must be at most ${ALL_STREAM_LIMITS.maxNameLength} characters, got ${ALL_STREAM_LIMITS.maxNameLength + 1}`,
    ],
  ])(
    'refuses %s with INVALID_ARGUMENT naming the message, without calling the Greeter for it',
    async (_case, name, problem) => {
      const { received, error } = await drain(
        servers.client.allStream(['Ada', name, 'Grace'], { timeoutMs: 5_000 }),
      );

      expect(received.map(({ message }) => message)).toEqual(['Hello Ada']);
      expect(error).toMatchObject({ code: status.INVALID_ARGUMENT, details: `message 2: ${problem}` });
      expect(servers.greeter.calls.map((call) => call.name)).toEqual(['Ada']);
    },
  );

  it('passes a name of exactly the longest length on to the Greeter', async () => {
    const name = 'é'.repeat(ALL_STREAM_LIMITS.maxNameLength);
    const { received, error } = await drain(servers.client.allStream([name], { timeoutMs: 5_000 }));

    expect(error).toBeUndefined();
    expect(received.map(({ message }) => message)).toEqual([`Hello ${name}`]);
  });
});
