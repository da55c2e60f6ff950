import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ServiceError, status } from '@grpc/grpc-js';
import { Greeter } from '@repo/greeter-client';
import { type ServiceProcess, spawnService, within } from '@repo/test-kit';

// The Greeter in a process of its own (its built dist/main.js), signalled while calls arrive.
const MAIN = join(__dirname, '..', 'dist', 'main.js');
const GRACE_MS = 2_000;
/** How much its memory may grow under the load: a leak per call would pass it. */
const RSS_GROWTH_LIMIT = 40 * 1024 * 1024;

jest.setTimeout(30_000);

let greeter: ServiceProcess;

beforeEach(async () => {
  greeter = await spawnService(MAIN, { SHUTDOWN_GRACE_MS: String(GRACE_MS) });
});

afterEach(async () => {
  await greeter.stop();
});

describe('the Greeter process on SIGTERM with 100 SayHello around it', () => {
  it('answers or refuses every call, none left hanging, and exits 0 at once', async () => {
    const client = new Greeter({ target: greeter.target });
    try {
      const baseline = await greeter.stats();
      for (let round = 0; round < 10; round++) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => client.sayHello(`warm ${i}`)));
      }
      const loaded = await greeter.stats();

      // One call every 2 ms; the signal after the 50th.
      let signalledAt = 0;
      const calls: Promise<{ code: status; ms: number }>[] = [];
      for (let i = 0; i < 100; i++) {
        const started = performance.now();
        calls.push(
          client.sayHello(`name ${i}`, { timeoutMs: 5_000 }).then(
            (reply) => ({ code: reply.message === `Hello name ${i}` ? status.OK : status.UNKNOWN, ms: 0 }),
            (err: unknown) => ({ code: (err as ServiceError).code, ms: performance.now() - started }),
          ),
        );
        if (i === 49) {
          greeter.child.kill('SIGTERM');
          signalledAt = performance.now();
        }
        await sleep(2);
      }
      const exited = greeter.exited.then((code) => ({ code, ms: performance.now() - signalledAt }));
      const outcomes = await within(Promise.all(calls), 5_000, 'every SayHello to end');
      const exit = await within(exited, GRACE_MS + 2_000, 'exit');

      const codes = outcomes.map(({ code }) => code);
      expect(codes).toHaveLength(100);
      expect(codes.filter((code) => code !== status.OK && code !== status.UNAVAILABLE)).toEqual([]);
      // Calls sent 80 ms or more before the signal were answered, not refused.
      expect(codes.slice(0, 10)).toEqual(Array(10).fill(status.OK));
      // Refusals are fast: a closed port, not a deadline.
      expect(Math.max(...outcomes.map(({ ms }) => ms))).toBeLessThan(2_000);
      // Nothing was left running, so the grace period is not waited out.
      expect(exit.code).toBe(0);
      expect(exit.ms).toBeLessThan(1_000);
      expect(loaded.rss - baseline.rss).toBeLessThan(RSS_GROWTH_LIMIT);
    } finally {
      client.close();
    }
  });
});
