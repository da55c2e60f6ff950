import { once } from 'node:events';
import { connect, constants } from 'node:http2';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Metadata, status } from '@grpc/grpc-js';
import { HelloRequest } from '@repo/proto';
import {
  grpcFrame,
  grpcRequestHeaders,
  type LogLine,
  type ServiceProcess,
  spawnService,
  within,
} from '@repo/test-kit';
import { errorDetailsOf } from '@repo/wire';
import { BUSY_RETRY_DELAY_MS } from '../src/errors';
import { busyDetails } from '../src/handler-gauge';
import { createGreeterClient, type Greeter, type Outcome, sayHello } from './support/calls';
import { deadlineIn } from './support/timing';

// The server runs in a process of its own (test/fixtures/slow-server.js, on server-kit's dist):
// its SayHello works for SLOW_WORK_MS whatever the client does, and its 'shut down' line reports
// the handler gauge's peak and refusals. The attacker is this process: raw HTTP/2 streams reset
// with RST_STREAM CANCEL as soon as they are opened, and grpc-js calls cancelled at once.
const SLOW_SERVER = join(__dirname, 'fixtures', 'slow-server.js');
const SAY_HELLO = '/helloworld.Greeter/SayHello';
const HELLO = grpcFrame(HelloRequest.encode({ name: 'reset' }).finish());
const MiB = 1024 * 1024;
const LIMIT = 8;
// Long enough that the handlers the attack started are all still working while the normal calls
// below are made, even on a busy machine: the attack itself takes a few hundred milliseconds.
const WORK_MS = 2_500;

jest.setTimeout(30_000);

let service: ServiceProcess | undefined;
let greeter: Greeter | undefined;

afterEach(async () => {
  greeter?.close();
  // A test that failed half-way must not leave its process behind.
  if (service && service.child.exitCode === null && service.child.signalCode === null) {
    service.child.kill('SIGKILL');
    await within(service.exited, 5_000, 'exit after SIGKILL');
  }
  service = greeter = undefined;
});

/**
 * Opens `count` SayHello streams on a new connection, each reset with CANCEL right after its
 * request: every other one in the same tick (the reset may overtake the request), the others
 * once the request is written. The connection waits for the server's SETTINGS first, so it
 * honours MAX_CONCURRENT_STREAMS, as a compliant client does; resolves once every stream closed.
 * With `wave`, it opens that many streams at a time, and before the next ones waits until the
 * server has answered a PING, that is, has read the resets so far.
 */
async function openAndReset(target: string, count: number, { wave = count } = {}): Promise<void> {
  const session = connect(`http://${target}`);
  session.on('error', () => {}); // Only what the server did matters here.
  await within(once(session, 'remoteSettings'), 5_000, 'the server SETTINGS');
  for (let opened = 0; opened < count; opened += wave) {
    const closed: Promise<unknown>[] = [];
    for (let i = opened; i < Math.min(count, opened + wave); i++) {
      const stream = session.request(grpcRequestHeaders(SAY_HELLO));
      stream.on('error', () => {});
      closed.push(once(stream, 'close'));
      stream.end(HELLO);
      if (i % 2 === 0) stream.close(constants.NGHTTP2_CANCEL);
      else setImmediate(() => stream.close(constants.NGHTTP2_CANCEL));
    }
    await within(Promise.all(closed), 10_000, 'the reset streams to close');
    if (opened + wave < count)
      await within(new Promise((resolve) => session.ping(resolve)), 5_000, 'a PING answer');
  }
  session.close();
}

/** Starts `count` SayHello calls through grpc-js, each cancelled once it has been sent. */
function callAndCancel(client: Greeter, count: number): Promise<unknown> {
  const calls = Array.from(
    { length: count },
    () =>
      new Promise<void>((resolve) => {
        const call = client.sayHello(
          { name: 'cancelled' },
          new Metadata(),
          { deadline: deadlineIn(5_000) },
          () => resolve(),
        );
        // On a connected channel grpc-js has sent the call by the next turn of the event loop.
        setImmediate(() => call.cancel());
      }),
  );
  return Promise.all(calls);
}

/** SIGTERMs the service and returns its 'shut down' line; the process must exit 0. */
async function shutDown(running: ServiceProcess): Promise<LogLine> {
  running.child.kill('SIGTERM');
  const line = await running.waitForLog((entry) => entry.msg === 'shut down', 10_000);
  expect(await within(running.exited, 10_000, 'exit after SIGTERM')).toBe(0);
  return line;
}

/**
 * Makes `count` SayHello calls at once, again every 100 ms for at most `timeoutMs` while any is
 * refused as busy; returns the last round's outcomes.
 */
async function roundAccepted(client: Greeter, count: number, timeoutMs: number): Promise<Outcome[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcomes = await Promise.all(
      Array.from({ length: count }, (_, i) => sayHello(client, `fresh-${i}`, { timeoutMs: 2 * WORK_MS })),
    );
    const busy = outcomes.some(({ error }) => error?.code === status.RESOURCE_EXHAUSTED);
    if (!busy || Date.now() > deadline) return outcomes;
    await sleep(100);
  }
}

describe('MAX_RUNNING_HANDLERS against clients that reset their streams at once', () => {
  it('never lets more handlers run than the limit, refuses normal calls as busy, and recovers', async () => {
    service = await spawnService(SLOW_SERVER, {
      MAX_RUNNING_HANDLERS: String(LIMIT),
      SLOW_WORK_MS: String(WORK_MS),
      SHUTDOWN_GRACE_MS: String(2 * WORK_MS),
    });
    const client = createGreeterClient(service.target);
    greeter = client;
    await within(
      new Promise<void>((resolve, reject) =>
        client.waitForReady(deadlineIn(5_000), (err) => (err ? reject(err) : resolve())),
      ),
      5_000,
      'a connection',
    );
    const before = await service.stats();

    // 4 connections × 100 reset streams, and 100 grpc-js calls cancelled at once.
    const target = service.target;
    await Promise.all([
      ...[1, 2, 3, 4].map(() => openAndReset(target, 100)),
      within(callAndCancel(client, 100), 10_000, 'the cancelled calls to end'),
    ]);

    // The first handlers the attack started are still working: every normal call is refused.
    const normal = await Promise.all(Array.from({ length: 5 }, (_, i) => sayHello(client, `normal-${i}`)));
    for (const { error } of normal) {
      expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error?.details).toBe(busyDetails(LIMIT));
      expect(errorDetailsOf(error)).toEqual({
        errorInfo: { reason: 'SERVER_BUSY', domain: 'helloworld.Greeter', metadata: {} },
        retryInfo: { retryDelayMs: BUSY_RETRY_DELAY_MS },
      });
    }

    // Once the work of the reset streams is over, every slot is free again: LIMIT calls at once succeed.
    const fresh = await roundAccepted(client, LIMIT, 3 * WORK_MS);
    expect(fresh.map(({ error }) => error?.code ?? status.OK)).toEqual(Array(LIMIT).fill(status.OK));
    expect(fresh.map(({ reply }) => reply?.message)).toEqual(fresh.map((_, i) => `Hello fresh-${i}`));

    const after = await service.stats();
    expect(after.rss - before.rss).toBeLessThan(32 * MiB);

    const { peakRunningHandlers, refusedCalls } = await shutDown(service);
    expect(peakRunningHandlers).toBe(LIMIT);
    // At least the normal calls above; in practice, most of the 500 attacking calls too.
    expect(refusedCalls).toBeGreaterThanOrEqual(normal.length);
    expect(refusedCalls).toBeGreaterThan(100);
  });

  it('is what bounds them: MAX_CONCURRENT_STREAMS alone lets reset streams run many more handlers', async () => {
    service = await spawnService(SLOW_SERVER, {
      MAX_CONCURRENT_STREAMS: '4',
      SLOW_WORK_MS: '1000',
      SHUTDOWN_GRACE_MS: '3000',
    });

    // Four streams at a time, each wave once the server has read the resets of the one before.
    // Since Node 24 a reset stream keeps its place among MAX_CONCURRENT_STREAMS until the server has
    // processed the read it came in: streams opened in the same burst as the resets that freed
    // their places (Node's client opens them as soon as it has sent the resets) are refused with
    // RST_STREAM, before any handler. So a burst of 100 now starts only the first 4 handlers
    // (4 in 4 of 4 runs); Node 20 freed the places at once, and the burst started 15 to 52. A
    // client that waits a round trip between waves starts one handler per stream (100 of 100).
    await openAndReset(service.target, 100, { wave: 4 });

    const { peakRunningHandlers, refusedCalls } = await shutDown(service);
    // One connection, four streams at a time by its SETTINGS, yet every reset stream that reached
    // the server left a handler working behind it.
    expect(peakRunningHandlers).toBeGreaterThan(4);
    expect(refusedCalls).toBe(0);
  });
});
