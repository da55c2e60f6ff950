import { setTimeout as sleep } from 'node:timers/promises';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { GreeterClient, type HelloReply } from '@repo/proto';
import { StreamClient } from '@repo/stream-client';
import { closedAddress, drain, type ServiceProcess, spawnService, within } from '@repo/test-kit';
import { GREETER_MAIN, GREETER_TIMEOUT_MS, STREAM_MAIN } from './support/services';

// Two service processes, a restart and grpc-js's reconnection backoff (1 s, then 1.6 s, ...):
// a few seconds per test on a busy machine, bounded well below this.
jest.setTimeout(40_000);

/** How much the stream service's memory may grow over a test: a leak per call would pass it. */
const RSS_GROWTH_LIMIT = 40 * 1024 * 1024;
/** A failure while the Greeter is down is "fast" well under GREETER_TIMEOUT_MS. */
const FAIL_FAST_MS = 1_000;
/** From the Greeter's restart to the first AllStream answered: a few reconnection backoffs. */
const RECOVERY_LIMIT_MS = 6_000;

let greeterAddr: string;
let greeterPort: string;
let greeter: ServiceProcess;
let stream: ServiceProcess;
let client: StreamClient;

/** The Greeter process on the test's fixed port (what a restarted pod or unit keeps). */
function startGreeter(): Promise<ServiceProcess> {
  return spawnService(GREETER_MAIN, { PORT: greeterPort });
}

async function killGreeter(): Promise<void> {
  greeter.child.kill('SIGKILL');
  expect(await within(greeter.exited, 5_000, 'the Greeter to die')).toBe('SIGKILL');
}

/** One AllStream call with one name: what came back, the error, and how long it took. */
async function greetOnce(name: string, timeoutMs = 10_000) {
  const started = performance.now();
  const { received, error } = await drain(client.allStream([name], { timeoutMs }));
  return { received, error, ms: performance.now() - started };
}

beforeEach(async () => {
  // A port that was free a moment ago: the Greeter is restarted on it, as a restarted pod keeps its address.
  greeterAddr = await closedAddress();
  greeterPort = greeterAddr.split(':')[1] as string;
  greeter = await startGreeter();
  stream = await spawnService(STREAM_MAIN, { GREETER_ADDR: greeterAddr });
  client = new StreamClient({ target: stream.target });
});

afterEach(async () => {
  client.close();
  await stream.stop();
  await greeter.stop();
});

describe('AllStream while the Greeter is killed and restarted on the same port', () => {
  it('fails fast with UNAVAILABLE naming the Greeter while it is down, and recovers by itself once it is back', async () => {
    const first = await greetOnce('Ada');
    expect(first.error).toBeUndefined();
    expect(first.received.map(({ message }) => message)).toEqual(['Hello Ada']);
    const before = await stream.stats();

    // A stream in flight, a name every 50 ms: it is answered until the Greeter dies.
    let stop = false;
    async function* names() {
      for (let i = 0; !stop; i++) {
        yield `name ${i}`;
        await sleep(50);
      }
    }
    const inFlight = drain(client.allStream(names(), { timeoutMs: 20_000 }));
    await sleep(300);
    const killed = performance.now();
    await killGreeter();
    const { received, error } = await within(inFlight, 5_000, 'the AllStream in flight');
    stop = true;
    expect(performance.now() - killed).toBeLessThan(FAIL_FAST_MS);
    expect(received.length).toBeGreaterThan(0);
    expect(received.map(({ message }) => message)).toEqual(received.map((_, i) => `Hello name ${i}`));
    // The stream service's own status, from greeterErrorToStatus: not one grpc-js made up.
    expect(error).toMatchObject({ code: status.UNAVAILABLE });
    expect((error as ServiceError).details).toMatch(
      new RegExp(`^greeter unavailable at ${greeterAddr.replace(/\./g, '\\.')}: `),
    );

    // While it is down, every new AllStream fails the same way, long before the 5 s cap.
    const down: number[] = [];
    for (let i = 0; i < 5; i++) {
      const attempt = await greetOnce('Ada');
      expect(attempt.received).toEqual([]);
      expect(attempt.error).toMatchObject({
        code: status.UNAVAILABLE,
        details: expect.stringMatching(/^greeter unavailable at /),
      });
      down.push(attempt.ms);
      await sleep(100);
    }
    // And so do 50 at once.
    const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => greetOnce(`burst ${i}`)));
    expect(burst.map(({ error }) => (error as ServiceError | undefined)?.code)).toEqual(
      burst.map(() => status.UNAVAILABLE),
    );
    down.push(...burst.map(({ ms }) => ms));
    expect(Math.max(...down)).toBeLessThan(FAIL_FAST_MS);
    expect(FAIL_FAST_MS * 4).toBeLessThan(GREETER_TIMEOUT_MS);

    // Back on the same port: new calls are answered again, with no restart of the stream service.
    greeter = await startGreeter();
    const restarted = performance.now();
    let recovered: number | undefined;
    const failures: status[] = [];
    while (recovered === undefined && performance.now() - restarted < RECOVERY_LIMIT_MS + 2_000) {
      const attempt = await greetOnce('Grace');
      if (attempt.error === undefined) recovered = performance.now() - restarted;
      else failures.push((attempt.error as ServiceError).code);
      await sleep(50);
    }
    // Until grpc-js's next reconnection attempt, calls still fail the same fast way.
    expect(failures.filter((code) => code !== status.UNAVAILABLE)).toEqual([]);
    expect(recovered).toBeLessThan(RECOVERY_LIMIT_MS);

    // Alive, answering, and no memory kept for the calls that failed.
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => greetOnce(`after ${i}`)));
    expect(after.map(({ error }) => error)).toEqual(after.map(() => undefined));
    const stats = await stream.stats();
    expect(stats.rss - before.rss).toBeLessThan(RSS_GROWTH_LIMIT);
    expect(stream.child.exitCode).toBeNull();
  });
});

describe('a Greeter call with waitForReady', () => {
  it('waits through the restart and is answered before its deadline', async () => {
    const raw = new GreeterClient(greeterAddr, credentials.createInsecure());
    const sayHello = (name: string, waitForReady: boolean, timeoutMs: number) =>
      new Promise<HelloReply>((resolve, reject) => {
        raw.sayHello(
          { name },
          // grpc-js takes waitForReady as a metadata option, not a call option.
          new Metadata({ waitForReady }),
          { deadline: Date.now() + timeoutMs },
          (err, reply) => (err ? reject(err) : resolve(reply)),
        );
      });
    try {
      const before = await stream.stats();
      await expect(sayHello('Ada', false, 5_000)).resolves.toEqual({ message: 'Hello Ada' });
      await killGreeter();

      // Without waitForReady the call fails at once; with it, the call waits for a connection.
      const started = performance.now();
      await expect(sayHello('Ada', false, 5_000)).rejects.toMatchObject({ code: status.UNAVAILABLE });
      expect(performance.now() - started).toBeLessThan(FAIL_FAST_MS);
      let settled = false;
      const waiting = sayHello('Grace', true, 15_000).finally(() => {
        settled = true;
      });
      await sleep(1_500);
      expect(settled).toBe(false);

      greeter = await startGreeter();
      const restarted = performance.now();
      await expect(within(waiting, 14_000, 'the waiting call')).resolves.toEqual({ message: 'Hello Grace' });
      expect(performance.now() - restarted).toBeLessThan(RECOVERY_LIMIT_MS);

      // Liveness: the channel that waited carries new calls, and the stream service reaches the
      // new Greeter too.
      await expect(sayHello('Linus', false, 5_000)).resolves.toEqual({ message: 'Hello Linus' });
      const { received, error } = await greetOnce('Linus');
      expect(error).toBeUndefined();
      expect(received.map(({ message }) => message)).toEqual(['Hello Linus']);
      expect(greeter.child.exitCode).toBeNull();
      expect((await stream.stats()).rss - before.rss).toBeLessThan(RSS_GROWTH_LIMIT);
    } finally {
      raw.close();
    }
  });
});
