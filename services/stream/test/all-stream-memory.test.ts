import { StreamClient } from '@repo/stream-client';
import { type ServiceProcess, spawnService } from '@repo/test-kit';
import { MiB, STREAM_MAIN } from './support/servers';
import { serveTestGreeter, type TestGreeter } from './support/test-greeter';

// A long AllStream makes one Greeter call per message. grpc-js's `parent` call option adds a
// 'cancelled' listener to the parent for every child call and never removes it: a stream would
// hold every finished Greeter call until it ends. Measured inside the stream service's process,
// while the stream is still open; the test Greeter it calls runs in this one.
const WARM_UP = 200;
const MESSAGES = 2_000;
const HEAP_GROWTH_BOUND = 2 * MiB;

jest.setTimeout(60_000);

let greeter: TestGreeter;
let stream: ServiceProcess;
let client: StreamClient;

beforeAll(async () => {
  greeter = await serveTestGreeter();
  stream = await spawnService(STREAM_MAIN, { GREETER_ADDR: greeter.running.target });
  client = new StreamClient({ target: stream.target });
});

afterAll(async () => {
  client.close();
  await stream.stop();
  await greeter.running.stop();
});

it('holds nothing per answered message while a long AllStream is open', async () => {
  // Names handed over one at a time, whenever the stream asks for the next one.
  const queue: (string | undefined)[] = [];
  let wake: () => void = () => {};
  const feed = (name: string | undefined) => {
    queue.push(name);
    wake();
  };
  async function* names() {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const name = queue.shift();
      if (name === undefined) return;
      yield name;
    }
  }
  const replies = client.allStream(names())[Symbol.asyncIterator]();
  const exchange = async (count: number) => {
    for (let i = 0; i < count; i++) {
      feed(`n${i}`);
      const reply = await replies.next();
      expect(reply.value?.message).toBe(`Hello n${i}`);
    }
  };

  await exchange(WARM_UP);
  const before = await stream.stats();
  await exchange(MESSAGES);
  const after = await stream.stats();
  feed(undefined);
  expect((await replies.next()).done).toBe(true);

  expect(after.heapUsed - before.heapUsed).toBeLessThan(HEAP_GROWTH_BOUND);
  expect(stream.stderr()).not.toContain('MaxListenersExceededWarning');
});
