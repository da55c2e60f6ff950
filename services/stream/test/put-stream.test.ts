import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { StreamClient } from '@repo/stream-client';
import { closedAddress, rejectionOf, type ServiceProcess, spawnService, waitFor } from '@repo/test-kit';
import { callLines } from './support/serve';
import { PUT_STREAM, type Servers, STREAM_MAIN, startServers } from './support/servers';

const INVALID_TEXT = 'text must be valid UTF-8 text without control characters';

function* numbered(count: number, bad?: { at: number; text: string }): Generator<string> {
  for (let i = 1; i <= count; i++) yield i === bad?.at ? bad.text : `message ${i}`;
}

describe('PutStream', () => {
  let servers: Servers;

  beforeEach(async () => {
    servers = await startServers();
  });

  afterEach(async () => {
    await servers.stop();
  });

  it('answers a few texts with their count, UTF-8 size and preview', async () => {
    const summary = await servers.client.putStream(['alpha', 'beta', 'gamma', 'délta', '😀']);
    expect(summary).toEqual({ count: 5, bytes: 5 + 4 + 5 + 6 + 4, preview: 'alpha, beta, gamma, …, 😀' });
    expect(callLines(servers.stream, PUT_STREAM)).toMatchObject([{ code: 'OK' }]);
  });

  it('answers an empty stream with a zero count', async () => {
    await expect(servers.client.putStream([])).resolves.toEqual({ count: 0, bytes: 0, preview: '' });
  });

  it('rejects a control character in the middle with INVALID_ARGUMENT naming its position', async () => {
    let pulled = 0;
    const source = (function* () {
      for (const text of numbered(200_000, { at: 1_000, text: 'bad \u0001 text' })) {
        pulled++;
        yield text;
      }
    })();
    const err = await rejectionOf(servers.client.putStream(source));
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: `message 1000: ${INVALID_TEXT}` });
    // The client stopped writing once the server had answered.
    expect(pulled).toBeLessThan(200_000);
    await waitFor(
      'the PutStream handler to finish',
      () => servers.stream.server.handlers.running === 0,
      1_000,
    );
    expect(callLines(servers.stream, PUT_STREAM)).toMatchObject([
      { code: 'INVALID_ARGUMENT', details: `message 1000: ${INVALID_TEXT}` },
    ]);
  });

  it('does not answer a call the client cancels mid-stream as if it were complete', async () => {
    const controller = new AbortController();
    async function* texts() {
      for (let i = 1; i <= 100; i++) yield `text ${i}`;
      // Then hold the stream open until the upload is abandoned.
      await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve()));
    }
    const call = servers.client.putStream(texts(), { signal: controller.signal });
    await waitFor(
      'the PutStream handler to start',
      () => servers.stream.server.handlers.running === 1,
      1_000,
    );
    // Let the handler read all 100 and wait for more: the case where the reset looked like an end.
    await sleep(200);
    controller.abort();
    const err = await rejectionOf(call);
    expect(err).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    await waitFor(
      'the PutStream handler to finish',
      () => servers.stream.server.handlers.running === 0,
      1_000,
    );
    await waitFor('the PutStream call line', () => callLines(servers.stream, PUT_STREAM).length === 1, 1_000);
    // grpc-js ends the server's message stream when the client resets the call; the handler must
    // not take that for the client's half-close and log (and answer) a partial upload as OK.
    expect(callLines(servers.stream, PUT_STREAM)).toMatchObject([
      { code: 'CANCELLED', details: 'Cancelled' },
    ]);
  });

  it('keeps serving after a call it rejected', async () => {
    const err = await rejectionOf(servers.client.putStream(['one', 'two', '\u0001', 'four']));
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: `message 3: ${INVALID_TEXT}` });
    await expect(servers.client.putStream(['again'])).resolves.toEqual({
      count: 1,
      bytes: 5,
      preview: 'again',
    });
  });

  it('rejects a text over 64 Ki characters, naming the message and the length', async () => {
    const err = await rejectionOf(servers.client.putStream(['short', 'x'.repeat(64 * 1024 + 1)]));
    expect(err).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'message 2: text must be at most 65536 characters, got 65537',
    });
  });
});

describe('PutStream at volume', () => {
  // The service runs as its own process here, as it does in production: in one jest process the
  // client and the server would share a thread (and jest's per-promise bookkeeping), and the
  // test would measure that rather than the service.
  let service: ServiceProcess;
  let client: StreamClient;

  beforeAll(async () => {
    service = await spawnService(STREAM_MAIN, { GREETER_ADDR: await closedAddress() });
    client = new StreamClient({ target: service.target });
  });

  afterAll(async () => {
    client.close();
    await service.stop();
  });

  it('receives a million messages from the library and counts every one', async () => {
    const count = 1_000_000;
    let bytes = 0;
    for (const text of numbered(count)) bytes += Buffer.byteLength(text);
    // grpc-js stalls a client stream after ~88k messages without the client's channel options.
    // About 15 s alone on two cores; the bound leaves room for a machine running other suites.
    const summary = await client.putStream(numbered(count), { timeoutMs: 150_000, requestId: 'million' });
    expect(summary).toEqual({
      count,
      bytes,
      preview: 'message 1, message 2, message 3, …, message 1000000',
    });
    const line = await service.waitForLog((l) => l.msg === 'call' && l.requestId === 'million', 1_000);
    expect(line).toMatchObject({ method: PUT_STREAM, code: 'OK' });
  }, 160_000);
});
