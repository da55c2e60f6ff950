import { credentials, status } from '@grpc/grpc-js';
import { HealthClient, isCallError } from '@repo/client-kit';
import {
  GreeterService,
  HealthCheckResponse_ServingStatus,
  HealthClient as HealthGrpcClient,
  type HealthListResponse,
} from '@repo/proto';
import { within } from '@repo/test-kit';
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

      expect(isCallError(err)).toBe(true);
      expect(err).toMatchObject({
        code: status.NOT_FOUND,
        details: `unknown service "${service}"`,
      });
    },
  );

  it('lists every status it reports: the server as a whole and each service', async () => {
    const client = new HealthGrpcClient(running.target, credentials.createInsecure());
    try {
      const listed = await new Promise<HealthListResponse>((resolve, reject) =>
        client.list({}, (err, reply) => (err ? reject(err) : resolve(reply))),
      );

      expect(listed.statuses).toEqual({
        '': { status: HealthCheckResponse_ServingStatus.SERVING },
        'helloworld.Greeter': { status: HealthCheckResponse_ServingStatus.SERVING },
      });
    } finally {
      client.close();
    }
  });

  it('sends an open Watch each change of status, and nothing when a status is set again unchanged', async () => {
    const watch = health.watch('helloworld.Greeter', { timeoutMs: 5_000 });
    try {
      expect(await within(watch.next(), 5_000, 'first status')).toEqual({ value: 'SERVING', done: false });
      running.server.health.set('helloworld.Greeter', 'SERVING');
      running.server.health.set('helloworld.Greeter', 'NOT_SERVING');
      running.server.health.set('helloworld.Greeter', 'NOT_SERVING');
      running.server.health.set('helloworld.Greeter', 'SERVING');

      expect(await within(watch.next(), 5_000, 'second')).toEqual({ value: 'NOT_SERVING', done: false });
      expect(await within(watch.next(), 5_000, 'third')).toEqual({ value: 'SERVING', done: false });
    } finally {
      await watch.return(undefined);
    }
  });

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
