import { loadPackageDefinition } from '@repo/proto';
import { ReflectionClient } from '@repo/test-kit';
import { type RunningService, startServices, stopServices } from '../src/processes';
import { SERVICES } from '../src/services';

const HEALTH = 'grpc.health.v1.Health';

/**
 * The services declared in protos/ (proto-loader's entries whose members are methods) but
 * grpc.health.v1, which every server serves.
 */
function declaredServices(): string[] {
  return Object.entries(loadPackageDefinition())
    .filter(([, definition]) => Object.values(definition).some((member) => typeof member?.path === 'string'))
    .map(([name]) => name)
    .filter((name) => name !== HEALTH)
    .sort();
}

describe('the stack', () => {
  let running: RunningService[];

  beforeAll(async () => {
    running = await startServices(SERVICES, {
      ports: new Map(SERVICES.map(({ name }) => [name, 0])),
      metricsPorts: new Map(SERVICES.map(({ name }) => [name, 0])),
      onLine: () => {},
    });
  });

  afterAll(async () => {
    await stopServices(running);
  });

  // The guard for "adding a service" (README): a service declared in protos/ but not built,
  // served and listed in SERVICES fails here.
  it('serves every service declared in protos/, each from one process, with health and reflection', async () => {
    const served: string[] = [];
    // The gateway serves the others' services again, over HTTP (Connect, gRPC-Web, gRPC), without
    // reflection; its own tests cover it.
    for (const { name, address } of running) {
      if (name === 'gateway') continue;
      const reflection = new ReflectionClient(address);
      try {
        const listed = await reflection.listServices();
        expect(listed).toContain(HEALTH);
        served.push(...listed.filter((name) => name !== HEALTH));
      } finally {
        reflection.close();
      }
    }
    expect(served.sort()).toEqual(declaredServices());
  });

  it('stops every service with exit code 0', async () => {
    const codes = await stopServices(running);

    expect([...codes.values()]).toEqual(SERVICES.map(() => 0));
  });
});
