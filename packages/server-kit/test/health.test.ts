import { status } from '@grpc/grpc-js';
import { HealthClient } from '@repo/client-kit';
import { GreeterService } from '@repo/proto';
import { within } from '@repo/test-kit';
import { isServiceError } from '../src';
import { startServer, type TestServer } from './support/servers';
import { createTestGreeter } from './support/test-services';

let running: TestServer;
let health: HealthClient;

beforeEach(async () => {
  running = await startServer([{ definition: GreeterService, implementation: createTestGreeter() }]);
  health = new HealthClient(running.target);
});

afterEach(async () => {
  health.close();
  await running.server.shutdown(500);
});

async function checkError(service: string): Promise<unknown> {
  try {
    await health.check(service, { timeoutMs: 5_000 });
  } catch (err: unknown) {
    return err;
  }
  throw new Error(`Check('${service}') succeeded`);
}

describe('grpc.health.v1.Health', () => {
  it.each(['', 'helloworld.Greeter'])("answers SERVING for '%s' once the server listens", async (service) => {
    expect(await health.check(service, { timeoutMs: 5_000 })).toBe('SERVING');
  });

  it.each(['helloworld.Nope', 'stream.v1.StreamService'])(
    'answers NOT_FOUND for %s, which this server does not serve',
    async (service) => {
      const err = await checkError(service);

      expect(isServiceError(err)).toBe(true);
      expect(err).toMatchObject({
        code: status.NOT_FOUND,
        details: `Health status unknown for service ${service}`,
      });
    },
  );

  it('streams SERVICE_UNKNOWN to a Watch of a service it does not serve', async () => {
    const watch = health.watch('helloworld.Nope', { timeoutMs: 5_000 });
    try {
      expect(await within(watch.next(), 5_000, 'Watch')).toEqual({ value: 'SERVICE_UNKNOWN', done: false });
    } finally {
      await watch.return(undefined);
    }
  });

  it.each(['', 'helloworld.Greeter'])(
    "tells an open Watch of '%s' NOT_SERVING as soon as shutdown starts",
    async (service) => {
      const watch = health.watch(service, { timeoutMs: 5_000 });
      try {
        expect(await within(watch.next(), 5_000, 'first status')).toEqual({ value: 'SERVING', done: false });

        const stopped = running.server.shutdown(500);
        expect(await within(watch.next(), 3_000, 'status after shutdown')).toEqual({
          value: 'NOT_SERVING',
          done: false,
        });
        await within(stopped, 2_000, 'shutdown');
      } finally {
        await watch.return(undefined);
      }
    },
  );
});
