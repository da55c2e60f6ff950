import { setTimeout as sleep } from 'node:timers/promises';
import { StreamClient } from '@repo/stream-client';
import { Compose, type ContainerState, hostnameOf, run } from './compose';

// What the Kubernetes manifests (#10) rely on, proved on compose with the same images and
// settings: a replica added under steady AllStream traffic is used soon, and a rolling restart
// of the replicas loses no call. Own project name and image tag; only the services that serve
// (greeter and stream); the greeter's host port range has room for three replicas from the
// start, so that scaling to three does not change the service and recreate the two.
const compose = new Compose(`grpc-scale-${process.pid}`, `scale-${process.pid}`, {
  GREETER_HOST_PORTS: '50049-50051',
  OTEL_TRACES_EXPORTER: 'none',
});
const SERVICES = ['greeter', 'stream'];
const IMAGES = ['greeter', 'stream'];
const STREAM = '127.0.0.1:50052';
const MINUTE = 60_000;

// docker-compose.yml's values, which its environment cannot override: a connection is asked to
// go away after MAX_CONNECTION_AGE_MS (grpc-js adds up to ±10 % jitter), its calls get
// MAX_CONNECTION_AGE_GRACE_MS (the default), and the stream service's Greeter client
// re-resolves `greeter` when a connection ends, at most every 5 s.
const MAX_CONNECTION_AGE_MS = 10_000;
const MAX_CONNECTION_AGE_GRACE_MS = 10_000;
const MIN_TIME_BETWEEN_RESOLUTIONS_MS = 5_000;
/** 11 s + 10 s + 5 s = 26 s from the new replica's start to its first answer. */
const NEW_REPLICA_BOUND_MS =
  MAX_CONNECTION_AGE_MS * 1.1 + MAX_CONNECTION_AGE_GRACE_MS + MIN_TIME_BETWEEN_RESOLUTIONS_MS;

/** Every Traffic started, stopped in afterAll even when a test failed half-way. */
const traffics: Traffic[] = [];
const healthy = (c: ContainerState) => c.State === 'running' && c.Health === 'healthy';
const greeters = (all: ContainerState[]) => all.filter((c) => c.Service === 'greeter');

/**
 * `streams` AllStream calls from the host, each sending a name every 20–50 ms and reading every
 * answer, until `stop()`. A call that fails is counted and replaced (never retried): its
 * unanswered messages are failures.
 */
class Traffic {
  sent = 0;
  answered = 0;
  wrong = 0;
  readonly errors: string[] = [];
  /** Answers per greeter replica (hostname), and when each was first seen. */
  readonly perReplica = new Map<string, number>();
  readonly firstSeen = new Map<string, number>();
  private running = true;
  private readonly done: Promise<void>[];

  constructor(
    private readonly client: StreamClient,
    streams: number,
  ) {
    traffics.push(this);
    this.done = Array.from({ length: streams }, (_, i) => this.loop(i));
  }

  private async loop(stream: number): Promise<void> {
    for (let attempt = 0; this.running; attempt++) {
      const expected: string[] = [];
      const self = this;
      async function* names() {
        for (let n = 0; self.running; n++) {
          const name = `s${stream}-${attempt}-${n}`;
          expected.push(name);
          self.sent++;
          yield name;
          await sleep(20 + Math.random() * 30);
        }
      }
      try {
        for await (const { message, servedBy } of this.client.allStream(names(), {
          timeoutMs: 10 * MINUTE,
        })) {
          if (message !== `Hello ${expected.shift()}`) this.wrong++;
          this.answered++;
          const host = servedBy.split('/')[0] ?? '';
          this.perReplica.set(host, (this.perReplica.get(host) ?? 0) + 1);
          if (!this.firstSeen.has(host)) this.firstSeen.set(host, Date.now());
        }
      } catch (err: unknown) {
        this.errors.push(`stream ${stream}: ${err instanceof Error ? err.message : String(err)}`);
        await sleep(100);
      }
    }
  }

  /** Ends every call (the source ends, the server answers the rest) within `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.running = false;
    const timer = new AbortController();
    const timeout = sleep(timeoutMs, undefined, { signal: timer.signal }).then(() => {
      throw new Error(`traffic did not end within ${timeoutMs} ms`);
    });
    try {
      await Promise.race([Promise.all(this.done), timeout]);
    } finally {
      timer.abort();
      timeout.catch(() => {});
    }
  }

  get failed(): number {
    return this.sent - this.answered + this.wrong;
  }

  summary() {
    return {
      sent: this.sent,
      answered: this.answered,
      failed: this.failed,
      errors: this.errors,
      perReplica: Object.fromEntries(this.perReplica),
    };
  }
}

describe('the Greeter scaled and restarted under steady AllStream traffic (compose)', () => {
  let client: StreamClient;

  beforeAll(async () => {
    await compose.run(['up', '-d', '--build', ...SERVICES], 15 * MINUTE);
    await compose.waitFor(
      'greeter ×2 and stream healthy',
      (all) =>
        greeters(all).filter(healthy).length === 2 && all.some((c) => c.Service === 'stream' && healthy(c)),
      3 * MINUTE,
    );
    client = new StreamClient({ target: STREAM });
  }, 19 * MINUTE);

  afterAll(async () => {
    await Promise.allSettled(traffics.map((traffic) => traffic.stop()));
    client?.close();
    // Containers, network, and the two images built under the test's tag (not the base image).
    try {
      await compose.run(['down', '--volumes', '--remove-orphans', '--timeout', '20'], 3 * MINUTE);
    } finally {
      await run(
        'docker',
        ['image', 'rm', ...IMAGES.map((i) => `grpc-monorepo/${i}:${compose.imageTag}`)],
        {},
        MINUTE,
      );
    }
  }, 4 * MINUTE);

  it(
    `brings a third replica into use within ${NEW_REPLICA_BOUND_MS / 1000} s of its start, with every message answered`,
    async () => {
      const before = greeters(await compose.ps()).map(hostnameOf);
      const traffic = new Traffic(client, 3);
      await sleep(3_000);

      const scaledAt = Date.now();
      await compose.run(
        ['up', '-d', '--no-recreate', '--no-deps', '--scale', 'greeter=3', 'greeter'],
        2 * MINUTE,
      );
      const scaleCommandMs = Date.now() - scaledAt;
      const all = await compose.waitFor(
        'greeter ×3 healthy',
        (c) => greeters(c).filter(healthy).length === 3,
        MINUTE,
      );
      const healthyAfterMs = Date.now() - scaledAt;
      const added = greeters(all)
        .map(hostnameOf)
        .filter((host) => !before.includes(host));
      expect(added).toHaveLength(1);
      const [newHost = ''] = added;

      // Counted from the scale command's start, which starts the new container: an upper bound.
      const deadline = scaledAt + NEW_REPLICA_BOUND_MS + 1_000;
      while (!traffic.firstSeen.has(newHost) && Date.now() < deadline) await sleep(100);
      const usedAfterMs = (traffic.firstSeen.get(newHost) ?? Number.NaN) - scaledAt;
      await sleep(5_000);
      await traffic.stop();

      console.log('scale 2 → 3', {
        ...traffic.summary(),
        newReplica: newHost,
        scaleCommandMs,
        healthyAfterMs,
        usedAfterMs,
      });
      expect(usedAfterMs).toBeLessThanOrEqual(NEW_REPLICA_BOUND_MS);
      expect({ failed: traffic.failed, errors: traffic.errors }).toEqual({ failed: 0, errors: [] });
      expect(traffic.answered).toBe(traffic.sent);
      expect(traffic.sent).toBeGreaterThan(300);
      expect([...traffic.perReplica.keys()].sort()).toEqual([...before, newHost].sort());
    },
    3 * MINUTE,
  );

  it(
    'loses no call while the three replicas restart one by one, each healthy again before the next',
    async () => {
      const replicas = greeters(await compose.ps());
      expect(replicas).toHaveLength(3);
      const traffic = new Traffic(client, 3);
      await sleep(3_000);

      const steps: Record<string, number | string>[] = [];
      for (const replica of replicas) {
        const t0 = Date.now();
        expect((await run('docker', ['stop', replica.Name], {}, MINUTE)).exit).toBe(0);
        const stoppedMs = Date.now() - t0;
        const exit = (await run('docker', ['inspect', '-f', '{{.State.ExitCode}}', replica.Name], {}, MINUTE))
          .stdout;
        expect((await run('docker', ['start', replica.Name], {}, MINUTE)).exit).toBe(0);
        await compose.waitFor(
          `${replica.Name} healthy again`,
          (all) => all.some((c) => c.Name === replica.Name && healthy(c)),
          MINUTE,
        );
        steps.push({
          replica: hostnameOf(replica),
          exit: exit.trim(),
          stoppedMs,
          healthyAgainMs: Date.now() - t0,
        });
      }
      // Every replica answers again within the bound of the first test, the last one restarted too.
      const perReplicaBefore = new Map(traffic.perReplica);
      await sleep(NEW_REPLICA_BOUND_MS);
      await traffic.stop();

      console.log('rolling restart', { ...traffic.summary(), steps });
      // Each stopped on SIGTERM after draining: NOT_SERVING, its calls finished, exit 0.
      expect(steps.map((step) => step.exit)).toEqual(['0', '0', '0']);
      const greeterLog = await compose.logs('greeter');
      expect(greeterLog.match(/"graceful":true,.*"msg":"shut down"/g)).toHaveLength(3);
      expect({ failed: traffic.failed, errors: traffic.errors }).toEqual({ failed: 0, errors: [] });
      expect(traffic.answered).toBe(traffic.sent);
      expect(traffic.sent).toBeGreaterThan(500);
      // Every replica answered after the rolling restart was over.
      const usedAtEnd = replicas
        .map(hostnameOf)
        .filter((host) => (traffic.perReplica.get(host) ?? 0) > (perReplicaBefore.get(host) ?? 0));
      expect(usedAtEnd.sort()).toEqual(replicas.map(hostnameOf).sort());
    },
    5 * MINUTE,
  );
});
