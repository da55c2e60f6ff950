import { status } from '@grpc/grpc-js';
import { HealthClient } from '@repo/client-kit';
import type { GetStreamResponse } from '@repo/proto';
import { StreamClient } from '@repo/stream-client';
import { closedAddress, rejectionOf, type ServiceProcess, spawnService, within } from '@repo/test-kit';
import { STREAM_MAIN } from './support/servers';

describe('the stream service process on SIGTERM', () => {
  let service: ServiceProcess;
  let client: StreamClient;
  let health: HealthClient;

  beforeEach(async () => {
    service = await spawnService(STREAM_MAIN, {
      GREETER_ADDR: await closedAddress(),
      SHUTDOWN_GRACE_MS: '2000',
    });
    client = new StreamClient({ target: service.target });
    health = new HealthClient(service.target);
  });

  afterEach(async () => {
    client.close();
    health.close();
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    await service.exited;
  });

  it('lets a GetStream in flight finish, turns NOT_SERVING, answers nothing afterwards and exits 0', async () => {
    expect(await health.check('stream.v1.StreamService')).toBe('SERVING');
    const watch = health.watch('stream.v1.StreamService');
    expect(await within(watch.next(), 3_000, 'first Watch status')).toEqual({
      done: false,
      value: 'SERVING',
    });

    const received: GetStreamResponse[] = [];
    const stream = client.getStream({ text: 'tick', count: 10, intervalMs: 50 }, { timeoutMs: 10_000 });
    const finished = (async () => {
      for await (const message of stream) {
        received.push(message);
        if (message.index === 2) service.child.kill('SIGTERM');
      }
    })();

    // During: the open Watch hears NOT_SERVING at once.
    expect(await within(watch.next(), 2_000, 'Watch status after SIGTERM')).toEqual({
      done: false,
      value: 'NOT_SERVING',
    });
    // The call in flight completes: every message, in order, and an OK status.
    await within(finished, 5_000, 'the GetStream in flight');
    expect(received.map(({ index }) => index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The process exits 0, well within its grace period (the Watch is cancelled at the end).
    expect(await within(service.exited, 4_000, 'exit')).toBe(0);
    expect(service.logs.find((line) => line.msg === 'shut down')).toBeDefined();
    // After: nothing answers any more, health included.
    const fresh = new HealthClient(service.target);
    try {
      await expect(fresh.check('', { timeoutMs: 1_000 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
    } finally {
      fresh.close();
    }
  });

  it('refuses a call that arrives after SIGTERM while another one finishes', async () => {
    const first = client.getStream({ text: 'slow', count: 5, intervalMs: 100 }, { timeoutMs: 10_000 });
    const iterator = first[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ index: 1 });

    service.child.kill('SIGTERM');
    await service.waitForLog((line) => line.msg === 'shutting down', 2_000);
    // A second client has no connection yet: the server no longer accepts one.
    const late = new StreamClient({ target: service.target });
    try {
      const error = await rejectionOf(late.putStream(['too late'], { timeoutMs: 2_000 }));
      expect(error).toMatchObject({ code: status.UNAVAILABLE });
    } finally {
      late.close();
    }

    let last = 1;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) last = next.value.index;
    expect(last).toBe(5);
    expect(await within(service.exited, 4_000, 'exit')).toBe(0);
  });
});
