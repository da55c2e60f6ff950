import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientDuplexStream, ClientWritableStream, StatusObject } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { AllStreamRequest, AllStreamResponse, PutStreamRequest, PutStreamResponse } from '@repo/proto';
import { StreamClient } from '@repo/stream-client';
import { drain, waitFor, within } from '@repo/test-kit';
import {
  MiB,
  type ProcessStack,
  rawStreamClient,
  sampleRss,
  sayHelloLines,
  spawnStack,
} from './support/processes';
import { GET_STREAM } from './support/stack';

jest.setTimeout(45_000);

// 256 characters (the Greeter's limit) of 4 bytes each: 1 KiB names and greetings, so that the
// HTTP/2 windows (64 KiB) hold tens of messages rather than thousands.
const nameOf = (i: number) => `${'\u{1D11E}'.repeat(250)}${String(i).padStart(6, '0')}`;
// The most text a PutStream message may carry (64 Ki characters), 256 KiB of UTF-8.
const BIG_TEXT = '\u{1D11E}'.repeat(64 * 1024);

/** Resolves with `read()` once it has not changed for `quietMs`; throws after `timeoutMs`. */
async function settled(what: string, read: () => number, quietMs: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let value = read();
  for (;;) {
    await sleep(quietMs);
    if (read() === value) return value;
    if (Date.now() > deadline) throw new Error(`${what} still changing after ${timeoutMs} ms`);
    value = read();
  }
}

/** Whether `stream` emits 'drain' within `ms` (its listener removed either way). */
async function drainsWithin(stream: NodeJS.EventEmitter, ms: number): Promise<boolean> {
  const signal = AbortSignal.timeout(ms);
  return once(stream, 'drain', { signal }).then(
    () => true,
    () => false,
  );
}

/** The call's status (events.once would reject on the 'error' that comes first when it fails). */
const statusOf = (call: NodeJS.EventEmitter) =>
  new Promise<StatusObject>((resolve) => call.once('status', resolve));

/** Writes names 1..count, waiting for 'drain' whenever write() returns false, then half-closes. */
function writeNames(call: ClientDuplexStream<AllStreamRequest, AllStreamResponse>, count: number) {
  const progress = { written: 0, pushedBack: 0, waiting: false };
  const done = (async () => {
    for (let i = 1; i <= count; i++) {
      progress.written = i;
      if (!call.write({ name: nameOf(i) })) {
        progress.pushedBack++;
        progress.waiting = true;
        await once(call, 'drain');
        progress.waiting = false;
      }
    }
    call.end();
  })();
  return { progress, done };
}

/** A call of each kind, end to end through the Greeter: the service still serves. */
async function expectServing(client: StreamClient): Promise<void> {
  const all = await drain(client.allStream(['again'], { timeoutMs: 5_000 }));
  expect(all.error).toBeUndefined();
  expect(all.received.map(({ message }) => message)).toEqual(['Hello again']);
  expect(await client.putStream(['again'], { timeoutMs: 5_000 })).toMatchObject({ count: 1 });
}

let stack: ProcessStack;
let client: StreamClient;

beforeEach(async () => {
  stack = await spawnStack();
  client = new StreamClient({ target: stack.stream.target });
});

afterEach(async () => {
  client.close();
  await stack.stop();
});

describe('a client that stops reading', () => {
  it('of AllStream stalls the Greeter calls behind the relay rather than filling its memory, and gets every reply, in order, once it reads again', async () => {
    const NAMES = 2_000;
    const raw = rawStreamClient(stack.stream.target);
    try {
      // Both hops connected and their code warm, so that the baseline includes them.
      expect((await drain(client.allStream(['warm', 'up']))).error).toBeUndefined();
      const baseline = (await stack.stream.stats()).rss;
      const callsBefore = sayHelloLines(stack.greeter).length;
      const greeterCalls = () => sayHelloLines(stack.greeter).length - callsBefore;

      const call = raw.allStream();
      call.on('error', () => {}); // the status says how it ended
      const ended = statusOf(call);
      const first = new Promise<AllStreamResponse>((resolve) =>
        call.once('data', (reply: AllStreamResponse) => {
          call.pause();
          resolve(reply);
        }),
      );
      const writer = writeNames(call, NAMES);
      expect((await within(first, 5_000, 'the first reply')).message).toBe(`Hello ${nameOf(1)}`);

      // Our replies fill the windows back to us; the relay stops reading names, and our names
      // fill the windows towards it: everything stops.
      const rss = sampleRss(stack.stream.child.pid as number);
      await waitFor('our writes to back up', () => writer.progress.waiting && greeterCalls() > 0, 10_000);
      const stalledCalls = await settled('the Greeter calls', greeterCalls, 1_000);
      const stalledWrites = writer.progress.written;
      await sleep(1_000);
      const peak = rss.stop();

      expect(greeterCalls()).toBe(stalledCalls);
      expect(stalledCalls).toBeLessThan(NAMES / 4);
      expect(writer.progress.written).toBe(stalledWrites);
      expect(writer.progress.written).toBeLessThan(NAMES / 4);
      expect(writer.progress.waiting).toBe(true);
      expect(peak - baseline).toBeLessThan(16 * MiB);

      const replies: string[] = [];
      call.on('data', (reply: AllStreamResponse) => replies.push(reply.message));
      call.resume();
      expect((await within(ended, 30_000, 'the AllStream status')).code).toBe(status.OK);
      await writer.done;
      expect(replies).toHaveLength(NAMES - 1);
      expect(replies.findIndex((message, i) => message !== `Hello ${nameOf(i + 2)}`)).toBe(-1);
      // The Greeter's log lines reach us a moment after its answers (its logs are written asynchronously).
      await waitFor('the Greeter to log its last call', () => greeterCalls() >= NAMES, 2_000);
      expect(greeterCalls()).toBe(NAMES);
      await expectServing(client);
    } finally {
      raw.close();
    }
  });

  it('of GetStream with 1 MiB messages keeps the server within a bounded memory while it pauses, then gets every message', async () => {
    const COUNT = 200;
    expect(
      (await drain(client.getStream({ text: 'warm', count: 20, payloadBytes: MiB }))).error,
    ).toBeUndefined();
    const baseline = (await stack.stream.stats()).rss;

    const iterator = client
      .getStream({ text: 'big', count: COUNT, payloadBytes: MiB }, { timeoutMs: 30_000 })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ index: 1, text: 'big' });
    const rss = sampleRss(stack.stream.child.pid as number);
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
    const logged = await stack.stream.waitForLog(
      (line) => line.msg === 'call' && line.method === GET_STREAM && line.durationMs !== undefined,
      2_000,
    );
    expect(logged).toMatchObject({ code: 'OK' });
    await expectServing(client);
  });

  it('of PutStream (a stopped server) makes write() push back after a bounded number of messages, and the upload completes once it reads again', async () => {
    const TOTAL = 640; // 160 MiB
    const bytes = Buffer.byteLength(BIG_TEXT);
    const raw = rawStreamClient(stack.stream.target);
    const pid = stack.stream.child.pid as number;
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
      const baseline = (await stack.stream.stats()).rss;

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
      if (stack.stream.child.exitCode === null) process.kill(pid, 'SIGCONT');
      raw.close();
    }
  });
});
