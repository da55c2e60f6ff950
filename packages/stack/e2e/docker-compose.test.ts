import { runNode } from '@repo/runner';
import { StreamClient } from '@repo/stream-client';
import type { OtlpReceiver, ReceivedSpan } from '@repo/test-kit';
import { runBlock, shellBlocks } from '../test/support/docs';
import { Compose, type ContainerState, hostnameOf, ROOT, run } from './compose';
import { activeTargets, addressOf, pollUntil, query, startReceiverForContainers } from './observability';

// `docker compose up --build` from the repository as it is, under a project name and image tag
// of its own, with the published ports of docker-compose.yml (greeter 127.0.0.1:50050-50051,
// stream 127.0.0.1:50052), and Prometheus of the `observability` profile (127.0.0.1:9090).
// Jaeger, the profile's tracing backend, is left out (it cannot be pulled everywhere the test
// runs): the services export their spans to this test's own OTLP receiver instead, on the host,
// as host.docker.internal.
const compose = new Compose(`grpc-e2e-${process.pid}`, `e2e-${process.pid}`, {
  OTEL_TRACES_EXPORTER: 'otlp',
});
const GREETER_CLI = require.resolve('@repo/greeter-client/cli');
const STREAM_CLI = require.resolve('@repo/stream-client/cli');
const STREAM = '127.0.0.1:50052';
/** docker-compose.yml's host port range of the greeter replicas, one port each. */
const GREETER_PORTS = [50050, 50051];
const MINUTE = 60_000;
const IMAGES = ['greeter', 'stream', 'gateway', 'greeter-client', 'stream-client'];
const GATEWAY = 'http://127.0.0.1:8080';

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
  let receiver: OtlpReceiver | undefined;

  beforeAll(async () => {
    receiver = await startReceiverForContainers();
    compose.env.OTLP_ENDPOINT = `http://host.docker.internal:${new URL(receiver.endpoint).port}`;
    // Naming the services starts those of a profile too: every one but jaeger.
    const services = (await compose.services(['observability'])).filter((service) => service !== 'jaeger');
    await compose.run(['up', '-d', '--build', ...services], 15 * MINUTE);
    stream = new StreamClient({ target: STREAM });
  }, 16 * MINUTE);

  afterAll(async () => {
    stream?.close();
    // Containers, network, and the images built under the test's tag, whatever happened above.
    // Not `down --rmi all`: that would remove prom/prometheus too, which is not the test's.
    const built = IMAGES.map((image) => `grpc-monorepo/${image}:${compose.imageTag}`);
    try {
      await compose.run(['down', '--volumes', '--remove-orphans', '--timeout', '20'], 3 * MINUTE);
    } finally {
      await run('docker', ['image', 'rm', ...built], {}, MINUTE);
      await receiver?.close();
    }
  }, 4 * MINUTE);

  it(
    'brings two greeter replicas, the stream service and the gateway to healthy, on real gRPC health checks',
    async () => {
      const containers = await compose.waitFor(
        'greeter ×2, stream and gateway healthy',
        (all) =>
          of(all, 'greeter').filter(healthy).length === 2 &&
          ['stream', 'gateway'].every((service) => of(all, service).filter(healthy).length === 1),
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

  it('answers the project’s CLIs from the host on the published ports, one greeter replica per port', async () => {
    const replicas = (await compose.containers('greeter')).map(hostnameOf);
    const answeredBy: string[] = [];
    for (const port of GREETER_PORTS) {
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
      answeredBy.push(reply.servedBy.split('/')[0] ?? '');
    }
    expect(answeredBy.sort()).toEqual([...replicas].sort());
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

  it('answers JSON over HTTP through the gateway on 127.0.0.1:8080, with the replica and the error details', async () => {
    const replicas = (await compose.containers('greeter')).map(hostnameOf);
    const post = (body: string) =>
      fetch(`${GATEWAY}/helloworld.Greeter/SayHello`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const ok = await post('{"name":"Ada"}');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ message: 'Hello Ada' });
    expect(replicas).toContain(ok.headers.get('x-served-by')?.split('/')[0]);

    const bad = await post('{"name":""}');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      code: 'invalid_argument',
      details: expect.arrayContaining([
        expect.objectContaining({
          type: 'google.rpc.BadRequest',
          debug: { fieldViolations: [expect.objectContaining({ field: 'name' })] },
        }),
      ]),
    });
    const page = await fetch(`${GATEWAY}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script');
  });

  it(
    'runs the compose blocks of the docs from the host: the CLIs on the published ports, the client images',
    async () => {
      const blocks = shellBlocks().filter((block) => block.check === 'compose');
      expect(blocks.length).toBeGreaterThan(0);
      for (const block of blocks) {
        // The commands as written: `docker compose` finds this test's project through
        // COMPOSE_PROJECT_NAME and IMAGE_TAG, the CLIs its ports through their defaults.
        const result = await runBlock(block.text, {
          cwd: ROOT,
          env: {
            ...compose.env,
            COMPOSE_PROJECT_NAME: compose.project,
            IMAGE_TAG: compose.imageTag,
            GREETER_ADDR: '',
            STREAM_ADDR: '',
          },
          timeoutMs: 3 * MINUTE,
        });
        const at = `${block.file}:${block.line}`;
        expect({ at, ...result }).toMatchObject({ at, exit: 0 });
      }
    },
    8 * MINUTE,
  );

  it('spreads the stream service’s calls over every greeter replica', async () => {
    const replicas = (await compose.containers('greeter')).map(hostnameOf);

    const hosts = await greetersBehindStream(
      stream,
      Array.from({ length: 20 }, (_, i) => `name-${i}`),
    );

    expect(new Set(hosts)).toEqual(new Set(replicas));
  });

  it(
    'is scraped by Prometheus (profile observability): every greeter replica, the stream service and the gateway, found through DNS',
    async () => {
      // Calls to both replicas, directly and through the stream service.
      for (const port of GREETER_PORTS) {
        const hello = await runNode(GREETER_CLI, ['hello', 'prometheus', '--target', `127.0.0.1:${port}`]);
        expect(hello.exit).toBe(0);
      }
      await greetersBehindStream(stream, ['p1', 'p2', 'p3', 'p4']);
      const viaGateway = await fetch(`${GATEWAY}/helloworld.Greeter/SayHello`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"prometheus"}',
      });
      expect(viaGateway.status).toBe(200);
      const greeters = await Promise.all((await compose.containers('greeter')).map((c) => addressOf(c.Name)));
      const [streamService] = await compose.containers('stream');
      const [gateway] = await compose.containers('gateway');
      if (!streamService || !gateway) throw new Error('no stream or gateway container');
      const expected = [
        ...greeters.map((address) => `greeter ${address}:9464`),
        `stream ${await addressOf(streamService.Name)}:9465`,
        `gateway ${await addressOf(gateway.Name)}:9466`,
      ].sort();

      // /api/v1/targets: one target per replica (DNS A records of `greeter`), `stream` and `gateway`, all up.
      const targets = await pollUntil(
        'every replica and the stream service as healthy Prometheus targets',
        activeTargets,
        (all) =>
          JSON.stringify(
            all
              .filter((t) => t.health === 'up')
              .map((t) => `${t.labels.job} ${t.labels.instance}`)
              .sort(),
          ) === JSON.stringify(expected),
        MINUTE,
      );
      expect(targets.map((t) => `${t.labels.job} ${t.labels.instance} ${t.health}`).sort()).toEqual(
        expected.map((target) => `${target} up`),
      );

      const up = await query('up');
      expect(up.map(({ metric, value }) => `${metric.job} ${metric.instance} ${value}`).sort()).toEqual(
        expected.map((target) => `${target} 1`),
      );

      // The calls above, in the next scrapes: every instance has served some.
      const started = await pollUntil(
        'grpc_server_call_started_total of every instance in Prometheus',
        () => query('sum by (job, instance) (grpc_server_call_started_total{grpc_method!~"grpc.health.*"})'),
        (series) => series.filter(({ value }) => value > 0).length === expected.length,
        MINUTE,
      );
      expect(started.map(({ metric }) => `${metric.job} ${metric.instance}`).sort()).toEqual(expected);
      // The stream service may have been counted first for an earlier test's GetStream: wait for
      // the scrape that has this test's AllStreams too.
      const wanted = [
        'greeter helloworld.Greeter/SayHello',
        'stream stream.v1.StreamService/AllStream',
        'gateway helloworld.Greeter/SayHello',
      ];
      const methods = await pollUntil(
        'the SayHello and AllStream calls in Prometheus',
        () => query('sum by (job, grpc_method) (grpc_server_call_started_total)'),
        (series) =>
          wanted.every((name) => series.some(({ metric }) => `${metric.job} ${metric.grpc_method}` === name)),
        MINUTE,
      );
      expect(methods.map(({ metric }) => `${metric.job} ${metric.grpc_method}`)).toEqual(
        expect.arrayContaining(wanted),
      );
    },
    3 * MINUTE,
  );

  it(
    'exports the containers’ spans over OTLP: one AllStream is one trace, stream → greeter',
    async () => {
      if (!receiver) throw new Error('no OTLP receiver');
      // The CLI starts the trace (--trace prints its id) and exports its own spans too.
      const all = await runNode(STREAM_CLI, ['all', 'Traced', '--trace', '-t', STREAM], {
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRICS_EXPORTER: 'none' },
      });
      expect(all.exit).toBe(0);
      const traceId = /trace id ([0-9a-f]{32})/.exec(all.stderr)?.[1] ?? '';
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);

      // The CLI's `stream all` and its AllStream call, the stream service's AllStream and its
      // SayHello call, the greeter's SayHello. The services send theirs in batches, every 5 s
      // (OTEL_BSP_SCHEDULE_DELAY's default).
      const inTrace = (spans: readonly ReceivedSpan[]) => spans.filter((span) => span.traceId === traceId);
      const trace = inTrace(await receiver.waitFor((spans) => inTrace(spans).length >= 5, MINUTE));

      const one = (what: Partial<ReceivedSpan>) => {
        const found = trace.filter((span) =>
          Object.entries(what).every(([key, value]) => span[key as keyof ReceivedSpan] === value),
        );
        expect({ what, found: found.length }).toEqual({ what, found: 1 });
        return found[0] as ReceivedSpan;
      };
      const cliCall = one({ service: 'stream-cli', kind: 'CLIENT' });
      const allStream = one({
        service: 'stream',
        kind: 'SERVER',
        name: 'stream.v1.StreamService/AllStream',
        parentSpanId: cliCall.spanId,
      });
      const sayHello = one({
        service: 'stream',
        kind: 'CLIENT',
        name: 'helloworld.Greeter/SayHello',
        parentSpanId: allStream.spanId,
      });
      const served = one({
        service: 'greeter',
        kind: 'SERVER',
        name: 'helloworld.Greeter/SayHello',
        parentSpanId: sayHello.spanId,
      });
      expect([allStream, sayHello, served].map((span) => span.attributes['rpc.grpc.status_code'])).toEqual([
        0, 0, 0,
      ]);
      expect(trace).toHaveLength(5);
    },
    2 * MINUTE,
  );

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
