import { dirname, join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { createGreeterServer } from '@repo/greeter';
import { ConfigError } from '@repo/server-kit';
import { StreamClient } from '@repo/stream-client';
import { drain, type ServiceProcess, spawnService } from '@repo/test-kit';
import { readConfig } from '../src/config';
import { createStreamServer } from '../src/server';
import { ALL_STREAM, callLines, type Served, STREAM_MAIN, serve, stopProcess } from './support/stack';

const GREETER_TOKEN = 'greeter-token-5d0c9b8a7e6f';
const STREAM_TOKEN = 'stream-token-1a2b3c4d5e6f';

/** A Greeter that requires GREETER_TOKEN, and a stream service that requires STREAM_TOKEN. */
async function startSecuredStack(greeterToken: string | undefined) {
  const greeter = await serve('greeter', (logger) =>
    createGreeterServer({ logger, authToken: GREETER_TOKEN }),
  );
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
let processes: ServiceProcess[] = [];
let client: StreamClient | undefined;

afterEach(async () => {
  client?.close();
  await Promise.all([
    ...served.map(({ running }) => running.stop()),
    ...processes.map((service) => stopProcess(service)),
  ]);
  served = [];
  processes = [];
  client = undefined;
});

describe('AllStream to a Greeter that requires a token', () => {
  it('works when the stream service sends GREETER_TOKEN', async () => {
    const stack = await startSecuredStack(GREETER_TOKEN);
    served = [stack.greeter, stack.stream];
    client = stack.client;

    const { received, error } = await drain(
      client.allStream(['Ada', 'Grace'], { token: STREAM_TOKEN, timeoutMs: 5_000 }),
    );

    expect(error).toBeUndefined();
    expect(received.map(({ message }) => message)).toEqual(['Hello Ada', 'Hello Grace']);
    expect(stack.greeter.logs.find('call').map(({ code }) => code)).toEqual(['OK', 'OK']);
  });

  it('fails with INTERNAL when the stream service sends the Greeter no token, and does not forward the client’s', async () => {
    const stack = await startSecuredStack(undefined);
    served = [stack.greeter, stack.stream];
    client = stack.client;

    // The client's token is right for the stream service; it must not be passed on.
    const { received, error } = await drain(
      client.allStream(['Ada'], { token: STREAM_TOKEN, timeoutMs: 5_000 }),
    );

    expect(received).toEqual([]);
    // Our misconfiguration, not the client's fault: a generic INTERNAL, the cause in our log.
    expect(error).toMatchObject({ code: status.INTERNAL });
    expect(stack.greeter.logs.find('call').map(({ code }) => code)).toEqual(['UNAUTHENTICATED']);
    expect(callLines(stack.stream, ALL_STREAM)).toMatchObject([{ code: 'INTERNAL' }]);
    const logged = JSON.stringify([...stack.stream.logs.lines, ...stack.greeter.logs.lines]);
    expect(logged).not.toContain(STREAM_TOKEN);
    expect(logged).not.toContain(GREETER_TOKEN);
  });

  it('rejects a client without the stream service’s own token before calling the Greeter', async () => {
    const stack = await startSecuredStack(GREETER_TOKEN);
    served = [stack.greeter, stack.stream];
    client = stack.client;

    const { error } = await drain(client.allStream(['Ada'], { token: GREETER_TOKEN, timeoutMs: 5_000 }));

    expect(error).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(stack.greeter.logs.find('call')).toEqual([]);
  });
});

describe('GREETER_TOKEN', () => {
  it('lets a stream process greet through a Greeter process started with AUTH_TOKEN', async () => {
    const greeterMain = join(dirname(require.resolve('@repo/greeter')), 'main.js');
    const greeter = await spawnService(greeterMain, { AUTH_TOKEN: GREETER_TOKEN });
    processes.push(greeter);
    const stream = await spawnService(STREAM_MAIN, {
      AUTH_TOKEN: STREAM_TOKEN,
      GREETER_ADDR: greeter.target,
      GREETER_TOKEN,
    });
    processes.push(stream);
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
