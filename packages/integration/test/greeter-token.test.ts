import { status } from '@grpc/grpc-js';
import { StreamClient } from '@repo/stream-client';
import { drain } from '@repo/test-kit';
import { type ServiceProcesses, spawnServices } from './support/services';

// The token the stream service sends the Greeter (its GREETER_TOKEN) is the one the Greeter
// requires (its AUTH_TOKEN): the two services' settings, each read by its own process.
const GREETER_TOKEN = 'greeter-token-5d0c9b8a7e6f';
const STREAM_TOKEN = 'stream-token-1a2b3c4d5e6f';

let services: ServiceProcesses | undefined;
let client: StreamClient | undefined;

afterEach(async () => {
  client?.close();
  await services?.stop();
  services = client = undefined;
});

describe('GREETER_TOKEN', () => {
  it('lets a stream process greet through a Greeter process started with AUTH_TOKEN', async () => {
    services = await spawnServices(
      { AUTH_TOKEN: STREAM_TOKEN, GREETER_TOKEN },
      { AUTH_TOKEN: GREETER_TOKEN },
    );
    const { greeter, stream } = services;
    client = new StreamClient({ target: stream.target });

    const authenticated = await drain(client.allStream(['Ada'], { token: STREAM_TOKEN, timeoutMs: 5_000 }));
    const anonymous = await drain(client.allStream(['Ada'], { timeoutMs: 5_000 }));

    expect(authenticated.error).toBeUndefined();
    expect(authenticated.received.map(({ message }) => message)).toEqual(['Hello Ada']);
    expect(anonymous.error).toMatchObject({ code: status.UNAUTHENTICATED });
    const output = JSON.stringify([greeter.logs, stream.logs, greeter.stderr(), stream.stderr()]);
    expect(output).not.toContain(GREETER_TOKEN);
    expect(output).not.toContain(STREAM_TOKEN);
  });
});
