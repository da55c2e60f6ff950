import { setTimeout as sleep } from 'node:timers/promises';
import { type ServiceError, status } from '@grpc/grpc-js';
import { HealthClient } from '@repo/client-kit';
import { Greeter } from '@repo/greeter-client';
import { StreamClient } from '@repo/stream-client';
import { rejectionOf, type ServiceProcess, spawnService, within } from '@repo/test-kit';
import { GREETER_MAIN, STREAM_MAIN } from './support/services';

// Two processes, a 2 s grace period, and the calls before and after it: about 5 s.
jest.setTimeout(30_000);

const GRACE_MS = 2_000;
/** Calls of each kind in flight when the signal comes. */
const PER_KIND = 25;
/** How long after the signal the client streams keep writing before they half-close. */
const WRITE_ON_MS = 500;
/** How much a service's memory may grow under the load: a leak per call would pass it. */
const RSS_GROWTH_LIMIT = 40 * 1024 * 1024;

type Kind = 'short' | 'long' | 'put' | 'all';

/** How one call ended: its status, and what it sent and got. */
interface Outcome extends Progress {
  kind: Kind;
  code: status;
  details: string;
  /** When the call ended, in ms after the signal. */
  endedAt: number;
}

/** The clock and the switches every call of one run shares. */
interface Run {
  signalledAt: number;
  /** Client streams write while this holds, then half-close. */
  writing: boolean;
  /** Calls that have sent or received a message. */
  underway: Set<string>;
}

/** A client with a connection of its own: grpc-js otherwise shares one between equal channels. */
function ownClient(target: string): StreamClient {
  return new StreamClient({ target, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } });
}

/** What a call has sent and received so far. */
interface Progress {
  /** Messages sent (PutStream, AllStream). */
  sent: number;
  /** Messages received (GetStream, AllStream), or counted by the server (PutStream). */
  received: number;
  /** When the last message was sent, in ms after the signal. */
  lastSentAt: number;
}

/** A message every 100 ms while the run is writing, each counted as sent. */
async function* paced(run: Run, id: string, progress: Progress): AsyncGenerator<string> {
  while (run.writing) {
    progress.sent++;
    yield `${id}.${progress.sent}`;
    progress.lastSentAt = since(run);
    run.underway.add(id);
    await sleep(100);
  }
}

/** Reads a response stream to its end, counting what it receives and marking the call under way. */
async function receive(run: Run, id: string, responses: AsyncIterable<unknown>, progress: Progress) {
  for await (const _ of responses) {
    progress.received++;
    run.underway.add(id);
  }
}

function since(run: Run): number {
  return performance.now() - run.signalledAt;
}

/** Runs one call to its end, whichever way it ends, and says how and with what. */
async function outcomeOf(
  run: Run,
  kind: Kind,
  call: (progress: Progress) => Promise<void>,
): Promise<Outcome> {
  const progress: Progress = { sent: 0, received: 0, lastSentAt: Number.NEGATIVE_INFINITY };
  let code = status.OK;
  let details = '';
  try {
    await call(progress);
  } catch (err: unknown) {
    ({ code, details } = err as ServiceError);
  }
  return { kind, code, details, ...progress, endedAt: since(run) };
}

let greeter: ServiceProcess;

beforeEach(async () => {
  greeter = await spawnService(GREETER_MAIN, { SHUTDOWN_GRACE_MS: String(GRACE_MS) });
});

afterEach(async () => {
  await greeter.stop();
});

describe('the stream service process on SIGTERM with 100 calls in flight', () => {
  let stream: ServiceProcess;
  const clients: StreamClient[] = [];

  beforeEach(async () => {
    stream = await spawnService(STREAM_MAIN, {
      GREETER_ADDR: greeter.target,
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await stream.stop();
  });

  it('completes the calls that can finish, ends the rest with UNAVAILABLE at the grace deadline, refuses new ones and exits 0', async () => {
    const [short, long, put, all] = [1, 2, 3, 4].map(() => ownClient(stream.target)) as StreamClient[] &
      [StreamClient, StreamClient, StreamClient, StreamClient];
    clients.push(short, long, put, all);
    const health = new HealthClient(stream.target);
    const watch = health.watch('stream.v1.StreamService');
    expect(await within(watch.next(), 3_000, 'first Watch status')).toEqual({
      done: false,
      value: 'SERVING',
    });
    const baseline = await stream.stats();

    const run: Run = { signalledAt: Number.POSITIVE_INFINITY, writing: true, underway: new Set() };
    const calls: Promise<Outcome>[] = [];
    for (let i = 0; i < PER_KIND; i++) {
      // Ten messages 100 ms apart: over well within the grace.
      calls.push(
        outcomeOf(run, 'short', (progress) =>
          receive(run, `short ${i}`, short.getStream({ text: 's', count: 10, intervalMs: 100 }), progress),
        ),
      );
      // A message every 100 ms for 100 s: far past the grace.
      calls.push(
        outcomeOf(run, 'long', (progress) =>
          receive(run, `long ${i}`, long.getStream({ text: 'l', count: 1_000, intervalMs: 100 }), progress),
        ),
      );
      calls.push(
        outcomeOf(run, 'put', async (progress) => {
          progress.received = (await put.putStream(paced(run, `put ${i}`, progress))).count;
        }),
      );
      calls.push(
        outcomeOf(run, 'all', (progress) =>
          receive(run, `all ${i}`, all.allStream(paced(run, `all ${i}`, progress)), progress),
        ),
      );
    }
    await within(
      (async () => {
        while (run.underway.size < 4 * PER_KIND) await sleep(10);
      })(),
      5_000,
      'every call to be under way',
    );
    const loaded = await stream.stats();

    stream.child.kill('SIGTERM');
    run.signalledAt = performance.now();
    const exited = stream.exited.then((code) => ({ code, ms: since(run) }));

    // The open Watch hears NOT_SERVING at once.
    expect(await within(watch.next(), 1_000, 'Watch after SIGTERM')).toEqual({
      done: false,
      value: 'NOT_SERVING',
    });
    await stream.waitForLog((line) => line.msg === 'shutting down', 1_000);
    // New calls are refused, on a connection that carries calls in flight as on a new one.
    expect(await rejectionOf(short.putStream(['late'], { timeoutMs: 2_000 }))).toMatchObject({
      code: status.UNAVAILABLE,
    });
    const fresh = ownClient(stream.target);
    clients.push(fresh);
    expect(await rejectionOf(fresh.putStream(['late'], { timeoutMs: 2_000 }))).toMatchObject({
      code: status.UNAVAILABLE,
    });

    await sleep(Math.max(0, WRITE_ON_MS - since(run)));
    run.writing = false;
    // Every one of the 100 ends, one way or the other: none hangs.
    const outcomes = await within(Promise.all(calls), GRACE_MS + 2_000, 'every call to end');
    const exit = await within(exited, GRACE_MS + 2_000, 'exit');
    health.close();

    expect(outcomes).toHaveLength(4 * PER_KIND);
    const ofKind = (kind: Kind) => outcomes.filter((outcome) => outcome.kind === kind);
    // What could finish did, with its whole result.
    for (const outcome of ofKind('short')) expect(outcome).toMatchObject({ code: status.OK, received: 10 });
    for (const outcome of [...ofKind('put'), ...ofKind('all')]) {
      expect(outcome).toMatchObject({ code: status.OK, received: outcome.sent });
      // Its client kept writing after the signal, and the server read all of it.
      expect(outcome.lastSentAt).toBeGreaterThan(0);
    }
    // What could not was ended by the server when the grace ran out, with a status a client
    // may retry elsewhere, having got every message until then.
    for (const outcome of ofKind('long')) {
      expect(outcome).toMatchObject({ code: status.UNAVAILABLE, details: 'server shutting down' });
      expect(outcome.received).toBeGreaterThanOrEqual(GRACE_MS / 100 - 5);
      expect(outcome.endedAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
      expect(outcome.endedAt).toBeLessThan(GRACE_MS + 1_000);
    }
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(GRACE_MS + 1_000);
    expect(stream.logs.find((line) => line.msg === 'shut down')).toMatchObject({ graceful: false });
    expect(loaded.rss - baseline.rss).toBeLessThan(RSS_GROWTH_LIMIT);
    // The Greeter it called is untouched: its connection from the stream service closed cleanly.
    const greeterClient = new Greeter({ target: greeter.target });
    await expect(greeterClient.sayHello('Ada')).resolves.toMatchObject({ message: 'Hello Ada' });
    greeterClient.close();
  });
});
