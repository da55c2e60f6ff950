import { setTimeout as sleep } from 'node:timers/promises';
import { type ServiceError, status } from '@grpc/grpc-js';
import { HealthClient } from '@repo/client-kit';
import { StreamClient } from '@repo/stream-client';
import { drain, FaultRelay, type ServiceProcess, spawnService, within } from '@repo/test-kit';
import { GREETER_MAIN, GREETER_TIMEOUT_MS, STREAM_MAIN } from './support/services';

// Each fault costs at most a deadline or a reconnection backoff (1 s, then 1.6 s, ...); the
// blackhole test also waits out the Greeter call's 5 s cap once.
jest.setTimeout(30_000);

/** How much the stream service's memory may grow over the whole file: a leak per call would pass it. */
const RSS_GROWTH_LIMIT = 40 * 1024 * 1024;
/** What a deadline may be overshot by: timers, two loopback hops, a busy machine. */
const SLACK_MS = 750;
/** From clearing a fault to the first AllStream answered. */
const RECOVERY_LIMIT_MS = 5_000;

let greeter: ServiceProcess;
let relay: FaultRelay;
let stream: ServiceProcess;
let client: StreamClient;
let baselineRss: number;

/** One AllStream call: what came back, the error, and how long it took. */
async function greet(names: string[] | AsyncIterable<string>, timeoutMs?: number) {
  const started = performance.now();
  const { received, error } = await drain(client.allStream(names, timeoutMs ? { timeoutMs } : {}));
  return { received, error: error as ServiceError | undefined, ms: performance.now() - started };
}

/** Calls AllStream every 50 ms until one is answered; returns how long that took. */
async function timeToRecover(): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < RECOVERY_LIMIT_MS + 2_000) {
    const { error } = await greet(['again'], 2_000);
    if (error === undefined) return performance.now() - started;
    expect(error.code).toBe(status.UNAVAILABLE);
    await sleep(50);
  }
  throw new Error('AllStream did not recover');
}

/** The stream service is alive, SERVING, answers, and has not grown past RSS_GROWTH_LIMIT. */
async function expectHealthy(): Promise<void> {
  const health = new HealthClient(stream.target);
  try {
    expect(await health.check('stream.v1.StreamService', { timeoutMs: 2_000 })).toBe('SERVING');
  } finally {
    health.close();
  }
  const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => greet([`check ${i}`], 5_000)));
  expect(calls.map(({ error }) => error)).toEqual(calls.map(() => undefined));
  const { rss } = await stream.stats();
  expect(rss - baselineRss).toBeLessThan(RSS_GROWTH_LIMIT);
  expect(stream.child.exitCode).toBeNull();
  // One connection to the Greeter, the one it recovered on: none left behind by the fault.
  expect(relay.open).toBe(1);
}

beforeAll(async () => {
  greeter = await spawnService(GREETER_MAIN);
  relay = await FaultRelay.start(greeter.target);
  stream = await spawnService(STREAM_MAIN, { GREETER_ADDR: relay.target });
  client = new StreamClient({ target: stream.target });
  const warmup = await Promise.all(Array.from({ length: 20 }, (_, i) => greet([`warm ${i}`], 5_000)));
  expect(warmup.map(({ error }) => error)).toEqual(warmup.map(() => undefined));
  baselineRss = (await stream.stats()).rss;
});

afterEach(() => {
  // A failed test must not leave its fault to the next one.
  relay.pass();
});

afterAll(async () => {
  client?.close();
  await stream?.stop();
  await relay?.close();
  await greeter?.stop();
});

describe('AllStream through a relay to the Greeter that injects faults', () => {
  it('is slower but answered under latency, ends with DEADLINE_EXCEEDED when its deadline is shorter, and recovers', async () => {
    relay.latency(300);
    // A request and its answer cross the relay once each way: 2 × 300 ms at least.
    const slow = await greet(['Ada'], 5_000);
    expect(slow.error).toBeUndefined();
    expect(slow.received.map(({ message }) => message)).toEqual(['Hello Ada']);
    expect(slow.ms).toBeGreaterThanOrEqual(590);
    expect(slow.ms).toBeLessThan(600 + SLACK_MS);

    // 400 ms: the request reaches the Greeter, its answer cannot come back in time.
    const late = await greet(['Grace'], 400);
    expect(late.received).toEqual([]);
    expect(late.error?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(late.ms).toBeLessThan(400 + SLACK_MS);

    relay.pass();
    expect(await timeToRecover()).toBeLessThan(RECOVERY_LIMIT_MS);
    await expectHealthy();
  });

  it('ends with DEADLINE_EXCEEDED at its deadline in a blackhole, or at the 5 s cap without one, and recovers', async () => {
    relay.blackhole();
    const held = await greet(['Ada'], 1_500);
    expect(held.received).toEqual([]);
    expect(held.error?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(held.ms).toBeGreaterThanOrEqual(1_490);
    expect(held.ms).toBeLessThan(1_500 + SLACK_MS);

    // No deadline from the client: the stream service's own cap on the Greeter call ends it.
    const capped = await greet(['Grace']);
    expect(capped.error).toMatchObject({
      code: status.DEADLINE_EXCEEDED,
      details: `greeter at ${relay.target} did not answer in time`,
    });
    expect(capped.ms).toBeGreaterThanOrEqual(GREETER_TIMEOUT_MS - 10);
    expect(capped.ms).toBeLessThan(GREETER_TIMEOUT_MS + SLACK_MS);

    relay.pass();
    expect(await timeToRecover()).toBeLessThan(RECOVERY_LIMIT_MS);
    await expectHealthy();
  });

  it('ends a stream in flight with UNAVAILABLE soon after its connection is reset, and recovers', async () => {
    let stop = false;
    async function* names() {
      for (let i = 0; !stop; i++) {
        yield `name ${i}`;
        await sleep(50);
      }
    }
    const inFlight = greet(names(), 20_000);
    await sleep(300);
    const connections = relay.connections;
    const reset = performance.now();
    relay.reset();
    const { received, error } = await within(inFlight, 5_000, 'the AllStream in flight');
    const endMs = performance.now() - reset;
    stop = true;
    expect(received.length).toBeGreaterThan(0);
    expect(received.map(({ message }) => message)).toEqual(received.map((_, i) => `Hello name ${i}`));
    expect(error).toMatchObject({
      code: status.UNAVAILABLE,
      details: expect.stringMatching(new RegExp(`^greeter unavailable at ${relay.target}: `)),
    });
    expect(endMs).toBeLessThan(1_000);

    // While connections keep being reset, new calls fail as fast.
    const refused = await greet(['Ada'], 10_000);
    expect(refused.error?.code).toBe(status.UNAVAILABLE);
    expect(refused.ms).toBeLessThan(1_000);
    expect(relay.connections).toBeGreaterThan(connections);

    relay.pass();
    expect(await timeToRecover()).toBeLessThan(RECOVERY_LIMIT_MS);
    await expectHealthy();
  });
});
