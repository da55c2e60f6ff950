import { StreamClient } from '@repo/stream-client';
import { runNode } from '@repo/test-kit';
import { Compose, type ContainerState, hostnameOf, run } from './compose';

// `docker compose up --build` from the repository as it is, under a project name and image tag
// of its own, with the published ports of docker-compose.yml (127.0.0.1:50051-50053).
const compose = new Compose(`grpc-e2e-${process.pid}`, `e2e-${process.pid}`);
const GREETER_CLI = require.resolve('@repo/greeter-client/dist/cli.js');
const STREAM_CLI = require.resolve('@repo/stream-client/dist/cli.js');
const STREAM = '127.0.0.1:50052';
const MINUTE = 60_000;
const IMAGES = ['greeter', 'stream', 'greeter-client', 'stream-client'];

const healthy = (c: ContainerState) => c.State === 'running' && c.Health === 'healthy';
const exited = (c: ContainerState) => c.State === 'exited';
const of = (containers: ContainerState[], service: string) => containers.filter((c) => c.Service === service);

/** The greeter replicas that answered `names` through the stream service (x-served-by hosts). */
async function greetersBehindStream(client: StreamClient, names: string[]): Promise<string[]> {
  const hosts: string[] = [];
  for await (const { servedBy } of client.allStream(names, { timeoutMs: 5_000 }))
    hosts.push(servedBy.split('/')[0] ?? '');
  return hosts;
}

describe('docker compose up', () => {
  let stream: StreamClient;

  beforeAll(async () => {
    await compose.run(['up', '-d', '--build'], 15 * MINUTE);
    stream = new StreamClient({ target: STREAM });
  }, 16 * MINUTE);

  afterAll(async () => {
    stream?.close();
    // Containers, network, and the images built under the test's tag, whatever happened above.
    await compose.run(
      ['down', '--rmi', 'all', '--volumes', '--remove-orphans', '--timeout', '20'],
      3 * MINUTE,
    );
  }, 4 * MINUTE);

  it(
    'brings two greeter replicas and the stream service to healthy, on real gRPC health checks',
    async () => {
      const containers = await compose.waitFor(
        'greeter ×2 and stream healthy',
        (all) =>
          of(all, 'greeter').filter(healthy).length === 2 && of(all, 'stream').filter(healthy).length === 1,
        3 * MINUTE,
      );
      expect(of(containers, 'greeter')).toHaveLength(2);
    },
    4 * MINUTE,
  );

  it(
    'runs the client containers once: every call kind, then exit 0',
    async () => {
      const containers = await compose.waitFor(
        'both client containers to exit',
        (all) =>
          ['greeter-client', 'stream-client'].every(
            (s) => of(all, s).length === 1 && of(all, s).every(exited),
          ),
        2 * MINUTE,
      );
      expect(
        [...of(containers, 'greeter-client'), ...of(containers, 'stream-client')].map((c) => c.ExitCode),
      ).toEqual([0, 0]);

      const greeterLog = await compose.logs('greeter-client');
      expect(greeterLog.match(/^Hello world {2}\(served by [0-9a-f]{12}\/1, [\d.]+ ms\)$/gm)).toHaveLength(4);
      const streamLog = await compose.logs('stream-client');
      expect(streamLog).toMatch(/^#1 tick\n#2 tick\n#3 tick\nreceived 3 messages in [\d.]+ s$/m);
      expect(streamLog).toMatch(/^sent 4 messages \(19 bytes\) in [\d.]+ s: alpha, beta, gamma, delta$/m);
      expect(streamLog).toMatch(
        /^Hello Ada {2}\(greeter [0-9a-f]{12}\/1\)\nHello Grace .*\nHello Linus .*\nHello Margaret {2}\(greeter [0-9a-f]{12}\/1\)$/m,
      );
    },
    3 * MINUTE,
  );

  it('answers the project’s CLIs from the host on the published ports', async () => {
    const replicas = (await compose.containers('greeter')).map(hostnameOf);
    for (const port of [50051, 50053]) {
      const { exit, stdout } = await runNode(GREETER_CLI, [
        'hello',
        'host',
        '--json',
        '--target',
        `127.0.0.1:${port}`,
      ]);
      expect(exit).toBe(0);
      const reply = JSON.parse(stdout) as { message: string; servedBy: string };
      expect(reply.message).toBe('Hello host');
      expect(replicas).toContain(reply.servedBy.split('/')[0]);
    }
    const get = await runNode(STREAM_CLI, ['get', 'tock', '-c', '2', '-i', '10', '-t', STREAM]);
    expect(get).toMatchObject({ exit: 0, stdout: expect.stringMatching(/^#1 tock\n#2 tock\n/) });
    const put = await runNode(STREAM_CLI, ['put', 'x', 'yy', '-t', STREAM]);
    expect(put).toMatchObject({ exit: 0, stdout: expect.stringMatching(/^sent 2 messages \(3 bytes\)/) });
    const all = await runNode(STREAM_CLI, ['all', 'Host', '-t', STREAM]);
    expect(all).toMatchObject({
      exit: 0,
      stdout: expect.stringMatching(/^Hello Host {2}\(greeter [0-9a-f]{12}\/1\)\n$/),
    });
  });

  it('spreads the stream service’s calls over every greeter replica', async () => {
    const replicas = (await compose.containers('greeter')).map(hostnameOf);

    const hosts = await greetersBehindStream(
      stream,
      Array.from({ length: 20 }, (_, i) => `name-${i}`),
    );

    expect(new Set(hosts)).toEqual(new Set(replicas));
  });

  it(
    'keeps answering through one greeter while the other is stopped, and uses it again once restarted',
    async () => {
      const [kept, stopped] = await compose.containers('greeter');
      if (!kept || !stopped) throw new Error('expected two greeter replicas');
      const names = ['a', 'b', 'c', 'd'];

      // Calls run without pause while the replica stops: not one may fail.
      let calls = 0;
      const failures: unknown[] = [];
      const hostsAfterStop = new Set<string>();
      let stoppedAt = 0;
      const traffic = (async () => {
        while (stoppedAt === 0 || Date.now() - stoppedAt < 3_000) {
          try {
            const hosts = await greetersBehindStream(stream, names);
            calls++;
            if (stoppedAt !== 0) for (const host of hosts) hostsAfterStop.add(host);
          } catch (err: unknown) {
            failures.push(err);
          }
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const stop = await run('docker', ['stop', stopped.Name], {}, MINUTE);
      expect(stop.exit).toBe(0);
      stoppedAt = Date.now();
      await traffic;

      expect(failures).toEqual([]);
      expect(calls).toBeGreaterThan(10);
      expect([...hostsAfterStop]).toEqual([hostnameOf(kept)]);
      const { stdout: exitCode } = await run(
        'docker',
        ['inspect', '-f', '{{.State.ExitCode}}', stopped.Name],
        {},
        MINUTE,
      );
      expect(exitCode.trim()).toBe('0');

      // Restarted, it is found again: servers ask clients to reconnect (MAX_CONNECTION_AGE_MS),
      // and the reconnecting stream service re-resolves `greeter`.
      expect((await run('docker', ['start', stopped.Name], {}, MINUTE)).exit).toBe(0);
      await compose.waitFor(
        'the restarted greeter to be healthy',
        (all) => all.some((c) => c.Name === stopped.Name && healthy(c)),
        MINUTE,
      );
      const deadline = Date.now() + 45_000;
      let seen = new Set<string>();
      while (!seen.has(hostnameOf(stopped)) && Date.now() < deadline) {
        seen = new Set(await greetersBehindStream(stream, names));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(seen).toContain(hostnameOf(stopped));
    },
    3 * MINUTE,
  );

  it('runs every container as an unprivileged user, from images without secrets in them', async () => {
    for (const service of ['greeter', 'stream']) {
      const [container] = await compose.containers(service);
      const uid = await compose.run(['exec', '-T', service, 'id', '-u']);
      expect({ service, container: container?.Name, uid: uid.trim() }).toEqual({
        service,
        container: container?.Name,
        uid: '1000',
      });
    }
    for (const image of IMAGES) {
      const name = `grpc-monorepo/${image}:${compose.imageTag}`;
      const config = JSON.parse(
        (await run('docker', ['image', 'inspect', '--format', '{{json .Config}}', name], {}, MINUTE)).stdout,
      ) as { User: string; Env: string[] };
      expect({ name, user: config.User }).toEqual({ name, user: 'node' });
      const variables = config.Env.map((entry) => entry.split('=')[0]);
      expect(
        variables.filter((variable) => /TOKEN|SECRET|PASSWORD|KEY_FILE|CERT_FILE/.test(variable ?? '')),
      ).toEqual([]);
      // No key, certificate or dotenv file anywhere in the application tree.
      const found = await run(
        'docker',
        [
          'run',
          '--rm',
          '--entrypoint',
          'find',
          name,
          '/app',
          '(',
          '-name',
          '*.pem',
          '-o',
          '-name',
          '*.key',
          '-o',
          '-name',
          '.env*',
          ')',
          '-print',
        ],
        {},
        MINUTE,
      );
      expect({ name, exit: found.exit, files: found.stdout.trim() }).toEqual({ name, exit: 0, files: '' });
    }
  });

  it(
    'stops gracefully on `docker compose stop` while a GetStream is in flight: the stream ends, every service exits 0',
    async () => {
      const received: number[] = [];
      const reading = (async () => {
        for await (const { index } of stream.getStream(
          { text: 'last', count: 20, intervalMs: 100 },
          { timeoutMs: 30_000 },
        )) {
          received.push(index);
        }
      })();
      while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));

      await compose.run(['stop'], 2 * MINUTE);
      await reading;

      expect(received).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const containers = await compose.ps();
      for (const service of ['greeter', 'stream']) {
        for (const container of of(containers, service)) {
          expect({ name: container.Name, state: container.State, exit: container.ExitCode }).toEqual({
            name: container.Name,
            state: 'exited',
            exit: 0,
          });
        }
      }
      const streamLog = await compose.logs('stream');
      expect(streamLog).toContain('"msg":"shutting down"');
      expect(streamLog).toMatch(/"graceful":true,"durationMs":\d+,.*"msg":"shut down"/);
    },
    3 * MINUTE,
  );
});
