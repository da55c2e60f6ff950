import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientDuplexStream, StatusObject } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { AllStreamRequest, AllStreamResponse } from '@repo/proto';
import { StreamClient } from '@repo/stream-client';
import { drain, sampleRss, waitFor, within } from '@repo/test-kit';
import {
  MiB,
  rawStreamClient,
  type ServiceProcesses,
  sayHelloLines,
  spawnServices,
} from './support/services';

jest.setTimeout(45_000);

// 256 characters (the Greeter's limit) of 4 bytes each: 1 KiB names and greetings, so that the
// HTTP/2 windows (64 KiB) hold tens of messages rather than thousands.
const nameOf = (i: number) => `${'\u{1D11E}'.repeat(250)}${String(i).padStart(6, '0')}`;

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

let services: ServiceProcesses;
let client: StreamClient;

beforeEach(async () => {
  services = await spawnServices();
  client = new StreamClient({ target: services.stream.target });
});

afterEach(async () => {
  client.close();
  await services.stop();
});

describe('a client that stops reading', () => {
  it('of AllStream stalls the Greeter calls behind the relay rather than filling its memory, and gets every reply, in order, once it reads again', async () => {
    const NAMES = 2_000;
    const raw = rawStreamClient(services.stream.target);
    try {
      // Both hops connected and their code warm, so that the baseline includes them.
      expect((await drain(client.allStream(['warm', 'up']))).error).toBeUndefined();
      const baseline = (await services.stream.stats()).rss;
      // The warm-up's two lines, written asynchronously, must be in before the count starts.
      await waitFor(
        'the Greeter to log the warm-up',
        () => sayHelloLines(services.greeter).length >= 2,
        2_000,
      );
      const callsBefore = sayHelloLines(services.greeter).length;
      const greeterCalls = () => sayHelloLines(services.greeter).length - callsBefore;

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
      const rss = sampleRss(services.stream.child.pid as number);
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
      // Still serving, end to end.
      const again = await drain(client.allStream(['again'], { timeoutMs: 5_000 }));
      expect(again.error).toBeUndefined();
      expect(again.received.map(({ message }) => message)).toEqual(['Hello again']);
    } finally {
      raw.close();
    }
  });
});
