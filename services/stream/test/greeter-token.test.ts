import { status } from '@grpc/grpc-js';
import { ConfigError } from '@repo/server-kit';
import { StreamClient } from '@repo/stream-client';
import { drain } from '@repo/test-kit';
import { readConfig } from '../src/config';
import { createStreamServer } from '../src/server';
import { callLines, type Served, serve } from './support/serve';
import { ALL_STREAM } from './support/servers';
import { serveTestGreeter } from './support/test-greeter';

const GREETER_TOKEN = 'greeter-token-5d0c9b8a7e6f';
const STREAM_TOKEN = 'stream-token-1a2b3c4d5e6f';

/** A test Greeter that requires GREETER_TOKEN, and a stream service that requires STREAM_TOKEN. */
async function startSecuredServers(greeterToken: string | undefined) {
  const greeter = await serveTestGreeter({ authToken: GREETER_TOKEN });
  const stream = await serve('stream', (logger) =>
    createStreamServer({
      logger,
      greeterAddr: greeter.running.target,
      authToken: STREAM_TOKEN,
      ...(greeterToken === undefined ? {} : { greeterToken }),
    }),
  );
  return { greeter, stream, client: new StreamClient({ target: stream.running.target }) };
}

let served: Served[] = [];
let client: StreamClient | undefined;

afterEach(async () => {
  client?.close();
  await Promise.all(served.map(({ running }) => running.stop()));
  served = [];
  client = undefined;
});

describe('AllStream to a Greeter that requires a token', () => {
  it('works when the stream service sends GREETER_TOKEN', async () => {
    const servers = await startSecuredServers(GREETER_TOKEN);
    served = [servers.greeter, servers.stream];
    client = servers.client;

    const { received, error } = await drain(
      client.allStream(['Ada', 'Grace'], { token: STREAM_TOKEN, timeoutMs: 5_000 }),
    );

    expect(error).toBeUndefined();
    expect(received.map(({ message }) => message)).toEqual(['Hello Ada', 'Hello Grace']);
    expect(servers.greeter.logs.find('call').map(({ code }) => code)).toEqual(['OK', 'OK']);
  });

  it('fails with INTERNAL when the stream service sends the Greeter no token, and does not forward the client’s', async () => {
    const servers = await startSecuredServers(undefined);
    served = [servers.greeter, servers.stream];
    client = servers.client;

    // The client's token is right for the stream service; it must not be passed on.
    const { received, error } = await drain(
      client.allStream(['Ada'], { token: STREAM_TOKEN, timeoutMs: 5_000 }),
    );

    expect(received).toEqual([]);
    // Our misconfiguration, not the client's fault: a generic INTERNAL, the cause in our log.
    expect(error).toMatchObject({ code: status.INTERNAL });
    expect(servers.greeter.logs.find('call').map(({ code }) => code)).toEqual(['UNAUTHENTICATED']);
    expect(callLines(servers.stream, ALL_STREAM)).toMatchObject([{ code: 'INTERNAL' }]);
    const logged = JSON.stringify([...servers.stream.logs.lines, ...servers.greeter.logs.lines]);
    expect(logged).not.toContain(STREAM_TOKEN);
    expect(logged).not.toContain(GREETER_TOKEN);
  });

  it('rejects a client without the stream service’s own token before calling the Greeter', async () => {
    const servers = await startSecuredServers(GREETER_TOKEN);
    served = [servers.greeter, servers.stream];
    client = servers.client;

    const { error } = await drain(client.allStream(['Ada'], { token: GREETER_TOKEN, timeoutMs: 5_000 }));

    expect(error).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(servers.greeter.logs.find('call')).toEqual([]);
  });
});

describe('GREETER_TOKEN', () => {
  it('is unset by default, and read when it is long enough', () => {
    expect(readConfig({}).greeterToken).toBeUndefined();
    expect(readConfig({ GREETER_TOKEN }).greeterToken).toBe(GREETER_TOKEN);
  });

  it('is refused with a ConfigError that names it but not its value when it is too short', () => {
    expect(() => readConfig({ GREETER_TOKEN: 'short-secret' })).toThrow(ConfigError);
    expect(() => readConfig({ GREETER_TOKEN: 'short-secret' })).toThrow(/GREETER_TOKEN/);
    expect(() => readConfig({ GREETER_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
  });
});
