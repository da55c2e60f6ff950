import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import { HealthClient } from '@repo/client-kit';
import { GreeterService, StreamServiceClient, StreamServiceService } from '@repo/proto';
import { waitFor, within } from '@repo/test-kit';
import { errorDetailsOf } from '@repo/wire';
import { SHUTDOWN_RETRY_DELAY_MS } from '../src/errors';
import { createGreeterClient, type Greeter, sayHello } from './support/calls';
import { startServer, type TestServer } from './support/servers';
import { createTestGreeter, createTestStreamService, type TestHooks } from './support/test-services';
import { deadlineIn } from './support/timing';

/** A margin for timers and sockets on a busy machine, over what the code promises. */
const MARGIN_MS = 2_000;

let running: TestServer;
let hooks: TestHooks;
let greeter: Greeter;
let health: HealthClient;
let closed: number;

beforeEach(async () => {
  hooks = {};
  closed = 0;
  // The hooks are read when the handler runs, so that every test can set its own.
  const relay: TestHooks = { started: () => hooks.started?.(), aborted: () => hooks.aborted?.() };
  running = await startServer(
    [
      { definition: GreeterService, implementation: createTestGreeter(relay) },
      { definition: StreamServiceService, implementation: createTestStreamService(relay) },
    ],
    { onClose: () => void closed++ },
  );
  greeter = createGreeterClient(running.target);
  health = new HealthClient(running.target);
});

afterEach(async () => {
  greeter.close();
  health.close();
  await running.server.shutdown(200);
});

/** Resolves when the next handler with a `started` hook starts. */
function nextStart(): Promise<void> {
  return within(new Promise<void>((resolve) => (hooks.started = resolve)), 5_000, 'handler start');
}

async function timed(work: Promise<unknown>): Promise<number> {
  const started = Date.now();
  await work;
  return Date.now() - started;
}

describe('GrpcServer.shutdown', () => {
  it('completes at once through tryShutdown when no call is open', async () => {
    // A client that has called and is still connected must not hold the server up.
    expect((await sayHello(greeter, 'Ada')).error).toBeNull();

    const elapsed = await timed(within(running.server.shutdown(5_000), 5_000, 'shutdown'));

    expect(elapsed).toBeLessThan(MARGIN_MS);
    expect(running.logs.find('grace period over, ending the calls still running')).toHaveLength(0);
    expect(running.logs.find('shut down')).toEqual([expect.objectContaining({ graceful: true })]);
  });

  it('lets a call in flight finish within the grace period', async () => {
    const started = nextStart();
    const reply = sayHello(greeter, 'slow');
    await started;

    const stopped = running.server.shutdown(5_000);

    expect(await reply).toMatchObject({ error: null, reply: { message: 'Hello, eventually' } });
    await within(stopped, 5_000, 'shutdown');
    expect(running.logs.find('shutting down')).toEqual([
      expect.objectContaining({ graceMs: 5_000, runningHandlers: 1 }),
    ]);
    expect(running.logs.find('shut down')).toEqual([expect.objectContaining({ graceful: true })]);
  });

  it('cancels an open Watch when the grace period is over and completes within grace plus a margin', async () => {
    const watch = health.watch('', { timeoutMs: 10_000 });
    try {
      expect(await within(watch.next(), 5_000, 'first status')).toEqual({ value: 'SERVING', done: false });

      const elapsed = await timed(within(running.server.shutdown(300), 300 + MARGIN_MS, 'shutdown'));

      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(300 + MARGIN_MS);
      expect(await within(watch.next(), 3_000, 'status after shutdown')).toEqual({
        value: 'NOT_SERVING',
        done: false,
      });
      const ended = await within(
        watch.next().then(
          () => undefined,
          (err: unknown) => err,
        ),
        1_000,
        'end of the Watch',
      );
      expect(ended).toMatchObject({ code: status.CANCELLED, details: 'Call cancelled' });
    } finally {
      await watch.return(undefined);
    }
    expect(running.logs.find('grace period over, ending the calls still running')).toEqual([
      expect.objectContaining({ level: 'warn', graceMs: 300 }),
    ]);
    expect(running.logs.find('shut down')).toEqual([expect.objectContaining({ graceful: false })]);
  });

  it('aborts the signal of a handler still running when the grace period is over, and ends its call with UNAVAILABLE', async () => {
    const streams = new StreamServiceClient(running.target, credentials.createInsecure());
    try {
      const started = nextStart();
      const aborted = within(new Promise<void>((resolve) => (hooks.aborted = resolve)), 5_000, 'abort');
      const call = streams.getStream(
        { text: 'until-cancelled', count: 1, intervalMs: 0, payloadBytes: 0 },
        { deadline: deadlineIn(10_000) },
      );
      const ended = new Promise<ServiceError>((resolve) => call.on('error', resolve));
      await started;

      await within(running.server.shutdown(100), 100 + MARGIN_MS, 'shutdown');

      await aborted;
      const error = await within(ended, 3_000, 'end of the stream');
      expect(error).toMatchObject({ code: status.UNAVAILABLE, details: 'server shutting down' });
      expect(errorDetailsOf(error)).toEqual({
        errorInfo: { reason: 'SHUTTING_DOWN', domain: 'stream.v1.StreamService', metadata: {} },
        retryInfo: { retryDelayMs: SHUTDOWN_RETRY_DELAY_MS },
      });
      await waitFor('the handler to settle', () => running.server.handlers.running === 0, 1_000);
    } finally {
      streams.close();
    }
  });

  it('returns the same promise when called twice and calls onClose exactly once', async () => {
    const first = running.server.shutdown(1_000);
    const second = running.server.shutdown(1_000);

    expect(second).toBe(first);
    await within(first, 2_000, 'shutdown');
    expect(closed).toBe(1);
    expect(running.logs.find('shut down')).toHaveLength(1);
  });
});
