import { status } from '@grpc/grpc-js';
import { INSTANCE } from '@repo/server-kit';
import { StreamClient } from '@repo/stream-client';
import { closedAddress, drain, waitFor } from '@repo/test-kit';
import { callLines, type Served } from './support/serve';
import { ALL_STREAM, type Servers, serveStream, startServers } from './support/servers';

/** The stream service's AllStream handler finished, and its call was logged once, as CANCELLED. */
async function expectEndedCancelled(stream: Served): Promise<void> {
  await waitFor('the AllStream handler to finish', () => stream.server.handlers.running === 0, 1_000);
  await waitFor('the AllStream call line', () => callLines(stream, ALL_STREAM).length === 1, 1_000);
  expect(callLines(stream, ALL_STREAM)).toMatchObject([{ code: 'CANCELLED' }]);
}

describe('AllStream', () => {
  let servers: Servers;

  beforeEach(async () => {
    servers = await startServers();
  });

  afterEach(async () => {
    await servers.stop();
  });

  it("answers every name, in order, with the Greeter's greeting and the instance that served it", async () => {
    const { received, error } = await drain(servers.client.allStream(['Ada', 'Grace']));
    expect(error).toBeUndefined();
    // The test Greeter runs in this process, so the instance it names is this one.
    expect(received).toEqual([
      { message: 'Hello Ada', servedBy: INSTANCE },
      { message: 'Hello Grace', servedBy: INSTANCE },
    ]);
    expect(callLines(servers.stream, ALL_STREAM)).toMatchObject([{ code: 'OK' }]);
    expect(servers.greeter.calls.map(({ name }) => name)).toEqual(['Ada', 'Grace']);
  });

  it('answers each name while the client holds back the next one', async () => {
    const received: string[] = [];
    let next: () => void = () => {};
    async function* names() {
      for (const name of ['Ada', 'Grace', 'Linus']) {
        yield name;
        await new Promise<void>((resolve) => {
          next = resolve;
        });
      }
    }
    // Were the answers held back until the client half-closed, this would deadlock: the deadline
    // turns that into a failure.
    for await (const { message } of servers.client.allStream(names(), { timeoutMs: 5_000 })) {
      received.push(message);
      next();
    }
    expect(received).toEqual(['Hello Ada', 'Hello Grace', 'Hello Linus']);
  });

  it('ends with INVALID_ARGUMENT naming the message when a name mid-stream is empty', async () => {
    const { received, error } = await drain(servers.client.allStream(['Ada', '', 'Grace']));
    expect(received.map(({ message }) => message)).toEqual(['Hello Ada']);
    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'message 2: name must not be empty',
    });
    expect(callLines(servers.stream, ALL_STREAM)).toMatchObject([
      { code: 'INVALID_ARGUMENT', details: 'message 2: name must not be empty' },
    ]);
  });

  it('stops the server-side handler when the AbortSignal aborts mid-stream', async () => {
    const controller = new AbortController();
    async function* names() {
      yield 'Ada';
      yield 'Grace';
      // Then stay open, as an interactive client would, until the call is aborted.
      await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve()));
    }
    const received: string[] = [];
    let error: unknown;
    try {
      for await (const { message } of servers.client.allStream(names(), { signal: controller.signal })) {
        received.push(message);
        expect(servers.stream.server.handlers.running).toBe(1);
        if (received.length === 2) controller.abort();
      }
    } catch (err: unknown) {
      error = err;
    }
    expect(received).toEqual(['Hello Ada', 'Hello Grace']);
    expect(error).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    await expectEndedCancelled(servers.stream);
  });

  it('stops the server-side handler when the client leaves the loop early', async () => {
    async function* endless() {
      for (let i = 1; i <= 10_000; i++) yield `name ${i}`;
    }
    const received: string[] = [];
    for await (const { message } of servers.client.allStream(endless())) {
      received.push(message);
      if (received.length === 3) break;
    }
    expect(received).toEqual(['Hello name 1', 'Hello name 2', 'Hello name 3']);
    await expectEndedCancelled(servers.stream);
    // The Greeter was asked for a few more greetings at most, not for all 10,000.
    expect(servers.greeter.calls.length).toBeLessThan(100);
  });
});

describe('AllStream without a Greeter', () => {
  let stream: Served;
  let client: StreamClient;
  let greeterAddr: string;

  beforeEach(async () => {
    greeterAddr = await closedAddress();
    stream = await serveStream(greeterAddr);
    client = new StreamClient({ target: stream.running.target });
  });

  afterEach(async () => {
    client.close();
    await stream.running.stop();
  });

  it('fails fast with UNAVAILABLE naming the Greeter and its address', async () => {
    const started = performance.now();
    const { received, error } = await drain(client.allStream(['Ada'], { timeoutMs: 10_000 }));
    const elapsed = performance.now() - started;
    expect(received).toEqual([]);
    expect(error).toMatchObject({ code: status.UNAVAILABLE });
    expect((error as { details: string }).details).toMatch(
      new RegExp(`^greeter unavailable at ${greeterAddr.replace(/\./g, '\\.')}: .+`),
    );
    expect(elapsed).toBeLessThan(2_000);
    await waitFor('the AllStream handler to finish', () => stream.server.handlers.running === 0, 1_000);
  });
});
