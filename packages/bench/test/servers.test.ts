import { readFileSync } from 'node:fs';
import { credentials, Metadata } from '@grpc/grpc-js';
import { GreeterClient } from '@repo/proto';
import { waitFor } from '@repo/test-kit';
import { CONTENDERS, type ContenderName, measureStartup, median, startServer } from '../src/servers';
import { hasTaskset } from '../src/taskset';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function allowedCpus(pid: number): string | undefined {
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
}

describe('startServer', () => {
  it.each(Object.keys(CONTENDERS) as ContenderName[])(
    'starts %s ready to answer on 127.0.0.1 and stops it without a trace',
    async (name) => {
      const server = await startServer(name, { cpu: 0 });
      const pids = [server.pid, ...(server.companion ? [server.companion.pid] : [])];
      try {
        expect(server.target).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
        expect(pids.every(isAlive)).toBe(true);
        if (await hasTaskset()) {
          expect(server.pinnedCpu).toBe(0);
          expect(allowedCpus(server.pid)).toBe('0');
        } else {
          expect(server.pinnedCpu).toBeNull();
        }
        expect(Boolean(server.companion)).toBe(CONTENDERS[name].greeter !== undefined);
        const traced = name.endsWith('-traced') || name.endsWith('-otel-grpc');
        expect(Boolean(server.sink)).toBe(traced);
        expect(server.metricsPort === undefined).toBe(!CONTENDERS[name].telemetry || name.endsWith('-off'));
      } finally {
        await server.stop();
      }
      expect(pids.filter(isAlive)).toEqual([]);
    },
  );

  it("reads ours-greeter's call logs as they come, however much it logs", async () => {
    // At debug, ours log every call (at info, only the slow and the failed ones).
    const server = await startServer('ours-greeter', { env: { LOG_LEVEL: 'debug' } });
    const client = new GreeterClient(server.target, credentials.createInsecure());
    const call = (name: string) =>
      new Promise<string>((resolve, reject) => {
        client.sayHello({ name }, new Metadata(), { deadline: Date.now() + 5_000 }, (err, reply) =>
          err ? reject(err) : resolve(reply.message),
        );
      });
    try {
      const before = server.process.stdoutBytes();
      // One line of a few hundred bytes per call: several times the 64 KiB a Linux pipe
      // holds. Our logger drops lines rather than block when nobody reads, so only a drained
      // pipe makes the server pay for every line, and only then do the bytes arrive here.
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => call(`n${batch}-${i}`)));
      }
      await expect(call('last')).resolves.toBe('Hello last');
      await waitFor('the call logs', () => server.process.stdoutBytes() - before > 1_000 * 200, 5_000);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it.each(['ours-greeter-traced', 'ours-greeter-otel-grpc'] as const)(
    '%s exports a span per call to the sink it starts, and serves /metrics',
    async (name) => {
      // Spans leave within 50 ms of ending instead of 5 s.
      const server = await startServer(name, { env: { OTEL_BSP_SCHEDULE_DELAY: '50' } });
      const client = new GreeterClient(server.target, credentials.createInsecure());
      try {
        const before = server.sink?.spans ?? 0;
        for (let i = 0; i < 5; i++) {
          await new Promise<void>((resolve, reject) =>
            client.sayHello({ name: `n${i}` }, (err) => (err ? reject(err) : resolve())),
          );
        }
        await waitFor('the spans of 5 calls', () => (server.sink?.spans ?? 0) - before >= 5, 5_000);
        expect(server.sink?.unreadable).toBe(0);
        // The preload registers no meter provider: the service's own still gets the A66 metrics.
        const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
        expect(metrics).toMatch(
          /^grpc_server_call_started_total\{[^}]*grpc_method="helloworld.Greeter\/SayHello"[^}]*\} [1-9]/m,
        );
      } finally {
        client.close();
        await server.stop();
      }
    },
  );

  it('rejects with the reason and leaves nothing running when the server cannot start', async () => {
    await expect(startServer('ours-greeter', { env: { PORT: 'not-a-port' } })).rejects.toThrow(
      /cannot start ours-greeter: .*exited \(\d+\) before it was ready.*PORT/s,
    );
  });
});

describe('measureStartup', () => {
  it.each(['ceiling', 'ours-greeter'] as const)(
    'gives %s one plausible time to ready per run and their median',
    async (name) => {
      const result = await measureStartup(name, 2, 0);
      expect(result.samplesMs).toHaveLength(2);
      for (const sample of result.samplesMs) {
        // At least the start of a Node process; at most the run's own time limit.
        expect(sample).toBeGreaterThan(10);
        expect(sample).toBeLessThan(15_000);
      }
      expect(result.medianMs).toBe(median(result.samplesMs));
    },
  );

  it('takes the middle value of an odd count and the mean of the middle two of an even one', () => {
    expect(median([30, 10, 20])).toBe(20);
    expect(median([40, 10, 30, 20])).toBe(25);
    expect(median([])).toBeNaN();
  });
});
