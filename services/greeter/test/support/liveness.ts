import { Greeter } from '@repo/greeter-client';
import type { ServiceProcess } from '@repo/test-kit';

/**
 * What every hostile-input, flood and metadata test checks after its attack: the process is
 * still running, a new client (a fresh connection) is answered, and the process's RSS grew by
 * less than `bound` bytes over `baseline`.
 */
export async function expectStillServing(
  service: ServiceProcess,
  baseline: number,
  bound: number,
): Promise<void> {
  const fresh = new Greeter({ target: service.target });
  try {
    await expect(fresh.sayHello('after', { timeoutMs: 5_000 })).resolves.toMatchObject({
      message: 'Hello after',
    });
  } finally {
    fresh.close();
  }
  expect(service.child.exitCode).toBeNull();
  expect((await service.stats()).rss - baseline).toBeLessThan(bound);
}
