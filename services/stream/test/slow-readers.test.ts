import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientWritableStream } from '@grpc/grpc-js';
import type { PutStreamRequest, PutStreamResponse } from '@repo/proto';
import { StreamClient } from '@repo/stream-client';
import { drain, type ServiceProcess, sampleRss, spawnService, within } from '@repo/test-kit';
import { GET_STREAM, MiB, rawStreamClient, STREAM_MAIN } from './support/servers';
import { serveTestGreeter, type TestGreeter } from './support/test-greeter';

jest.setTimeout(45_000);

// The stream service in a process of its own, so that its memory is its own; the test Greeter it
// calls in this one. A client that stops reading AllStream, which backs up into the Greeter,
// is in packages/integration.

// The most text a PutStream message may carry (64 Ki characters), 256 KiB of UTF-8.
const BIG_TEXT = '\u{1D11E}'.repeat(64 * 1024);

/** Whether `stream` emits 'drain' within `ms` (its listener removed either way). */
async function drainsWithin(stream: NodeJS.EventEmitter, ms: number): Promise<boolean> {
  const signal = AbortSignal.timeout(ms);
  return once(stream, 'drain', { signal }).then(
    () => true,
    () => false,
  );
}

/** An AllStream and a PutStream: the service still serves. */
async function expectServing(client: StreamClient): Promise<void> {
  const all = await drain(client.allStream(['again'], { timeoutMs: 5_000 }));
  expect(all.error).toBeUndefined();
  expect(all.received.map(({ message }) => message)).toEqual(['Hello again']);
  expect(await client.putStream(['again'], { timeoutMs: 5_000 })).toMatchObject({ count: 1 });
}

let greeter: TestGreeter;
let stream: ServiceProcess;
let client: StreamClient;

beforeEach(async () => {
  greeter = await serveTestGreeter();
  stream = await spawnService(STREAM_MAIN, { GREETER_ADDR: greeter.running.target });
  client = new StreamClient({ target: stream.target });
});

afterEach(async () => {
  client.close();
  await stream.stop();
  await greeter.running.stop();
});

describe('a client that stops reading', () => {
  it('of GetStream with 1 MiB messages keeps the server within a bounded memory while it pauses, then gets every message', async () => {
    const COUNT = 200;
    expect(
      (await drain(client.getStream({ text: 'warm', count: 20, payloadBytes: MiB }))).error,
    ).toBeUndefined();
    const baseline = (await stream.stats()).rss;

    const iterator = client
      .getStream({ text: 'big', count: COUNT, payloadBytes: MiB }, { timeoutMs: 30_000 })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ index: 1, text: 'big' });
    const rss = sampleRss(stream.child.pid as number);
    await sleep(2_000);
    // The handler shares one payload buffer between its messages: what could pile up is what
    // grpc-js serializes and HTTP/2 queues for a reader that does not read (200 MiB here).
    expect(rss.stop() - baseline).toBeLessThan(64 * MiB);

    const indexes = [1];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      indexes.push(next.value.index);
      expect(next.value.payload.length).toBe(MiB);
    }
    expect(indexes).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    const logged = await stream.waitForLog(
      (line) => line.msg === 'call' && line.method === GET_STREAM && line.durationMs !== undefined,
      2_000,
    );
    expect(logged).toMatchObject({ code: 'OK' });
    await expectServing(client);
  });

  it('of PutStream (a stopped server) makes write() push back after a bounded number of messages, and the upload completes once it reads again', async () => {
    const TOTAL = 640; // 160 MiB
    const bytes = Buffer.byteLength(BIG_TEXT);
    const raw = rawStreamClient(stream.target);
    const pid = stream.child.pid as number;
    const put = () => {
      let settle: (err: Error | null, response?: PutStreamResponse) => void = () => {};
      const summary = new Promise<PutStreamResponse>((resolve, reject) => {
        settle = (err, response) => (err || !response ? reject(err) : resolve(response));
      });
      const call: ClientWritableStream<PutStreamRequest> = raw.putStream((err, response) =>
        settle(err, response),
      );
      return { call, summary };
    };
    try {
      // The channel connected (a stopped server could not complete the handshake) and warm.
      const warm = put();
      for (let i = 0; i < 8; i++) warm.call.write({ text: BIG_TEXT });
      warm.call.end();
      expect(await warm.summary).toMatchObject({ count: 8, bytes: 8 * bytes });
      const baseline = (await stream.stats()).rss;

      process.kill(pid, 'SIGSTOP');
      const rss = sampleRss(pid);
      const { call, summary } = put();
      let written = 0;
      let blocked = false;
      while (!blocked) {
        let accepted = true;
        while (accepted) {
          accepted = call.write({ text: BIG_TEXT });
          written++;
        }
        // With the server stopped, HTTP/2 flow control lets through at most a window (64 KiB).
        blocked = !(await drainsWithin(call, 1_000));
      }
      // What the client holds is grpc-js's writable buffer (16 messages), not the whole upload.
      expect(written).toBeLessThanOrEqual(32);

      process.kill(pid, 'SIGCONT');
      while (written < TOTAL) {
        if (!call.write({ text: BIG_TEXT })) await once(call, 'drain');
        written++;
      }
      call.end();
      expect(await within(summary, 20_000, 'the summary')).toMatchObject({
        count: TOTAL,
        bytes: TOTAL * bytes,
      });
      // The server holds a few messages at a time, not the 160 MiB it received. Measured under
      // Node 24: RSS +44 to +51 MiB (+37 to +44 MiB for 80 MiB; V8's young generation fills
      // with the messages that passed through), so half the upload is the bound.
      expect(rss.stop() - baseline).toBeLessThan(80 * MiB);
      await expectServing(client);
    } finally {
      if (stream.child.exitCode === null) process.kill(pid, 'SIGCONT');
      raw.close();
    }
  });
});
