import { execFileSync } from 'node:child_process';
import { Client, credentials } from '@grpc/grpc-js';
import { Greeter } from '@repo/greeter-client';
import { StreamClient } from '@repo/stream-client';
import { drain, freePort, prometheusSamples, rejectionOf } from '@repo/test-kit';
import { type RunningService, startServices, stopServices } from '../src/processes';
import { SERVICES } from '../src/services';

const N = 3;
const M = 2;
const NAMES = ['Ada', 'Grace'];

/** The value of the one sample of `name` whose labels include `labels`; 0 when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const matching = prometheusSamples(text, name).filter((found) =>
    Object.entries(labels).every(([key, value]) => found.labels[key] === value),
  );
  if (matching.length > 1) throw new Error(`more than one sample of ${name} with ${JSON.stringify(labels)}`);
  return matching[0]?.value ?? 0;
}

describe("gRPC's standard metrics (gRFC A66) on each service's /metrics", () => {
  let running: RunningService[];
  const metricsPorts = new Map<string, number>();
  const scrape = async (name: string) => {
    const response = await fetch(`http://127.0.0.1:${metricsPorts.get(name)}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };
  const address = (name: string) => running.find((service) => service.name === name)?.address ?? '';

  beforeAll(async () => {
    for (const { name } of SERVICES) metricsPorts.set(name, await freePort());
    running = await startServices(SERVICES, {
      ports: new Map(SERVICES.map(({ name }) => [name, 0])),
      metricsPorts,
      env: { HOST: '127.0.0.1' },
      onLine: () => {},
    });

    const greeter = new Greeter({ target: address('greeter') });
    const stream = new StreamClient({ target: address('stream') });
    const unknown = new Client(address('greeter'), credentials.createInsecure());
    try {
      for (let i = 0; i < N; i++) {
        await greeter.sayHello('Ada');
        await drain(stream.getStream({ text: 'tick', count: 2 }));
        await stream.putStream(['alpha', 'beta']);
        expect((await drain(stream.allStream(NAMES))).received).toHaveLength(NAMES.length);
      }
      for (let i = 0; i < M; i++) {
        await rejectionOf(greeter.sayHello(''));
        expect((await drain(stream.getStream({ count: 0 }))).error).toMatchObject({ code: 3 });
      }
      // A method the Greeter does not serve: counted under grpc.method="other".
      await new Promise<void>((resolve) =>
        unknown.makeUnaryRequest(
          '/scanner.Probe/Anything',
          (value: Buffer) => value,
          (value: Buffer) => value,
          Buffer.alloc(0),
          () => resolve(),
        ),
      );
    } finally {
      greeter.close();
      stream.close();
      unknown.close();
    }
  });

  afterAll(async () => {
    await stopServices(running);
  });

  it('counts every Greeter call by method and status, the AllStream hop included', async () => {
    const text = await scrape('greeter');
    const sayHello = { grpc_method: 'helloworld.Greeter/SayHello' };
    const hops = N * NAMES.length;

    expect(sample(text, 'grpc_server_call_started_total', sayHello)).toBe(N + M + hops);
    expect(sample(text, 'grpc_server_call_duration_seconds_count', { ...sayHello, grpc_status: 'OK' })).toBe(
      N + hops,
    );
    expect(
      sample(text, 'grpc_server_call_duration_seconds_count', {
        ...sayHello,
        grpc_status: 'INVALID_ARGUMENT',
      }),
    ).toBe(M);
    expect(
      sample(text, 'grpc_server_call_duration_seconds_bucket', {
        ...sayHello,
        grpc_status: 'OK',
        le: '+Inf',
      }),
    ).toBe(N + hops);
    expect(sample(text, 'grpc_server_call_started_total', { grpc_method: 'other' })).toBe(1);
    expect(
      sample(text, 'grpc_server_call_duration_seconds_count', {
        grpc_method: 'other',
        grpc_status: 'UNIMPLEMENTED',
      }),
    ).toBe(1);
    expect(text).not.toContain('scanner.Probe');
  });

  it('measures message sizes as on the wire', async () => {
    const text = await scrape('greeter');
    const ok = { grpc_method: 'helloworld.Greeter/SayHello', grpc_status: 'OK' };
    // HelloRequest{name: "Ada"} is 5 bytes and HelloReply{message: "Hello Ada"} 11; from AllStream,
    // "Grace" makes 7 and 13.
    const received = N * 5 + N * (5 + 7);
    const sent = N * 11 + N * (11 + 13);
    expect(sample(text, 'grpc_server_call_rcvd_total_compressed_message_size_bytes_sum', ok)).toBe(received);
    expect(sample(text, 'grpc_server_call_sent_total_compressed_message_size_bytes_sum', ok)).toBe(sent);
    expect(sample(text, 'grpc_server_call_sent_total_compressed_message_size_bytes_count', ok)).toBe(N * 3);
  });

  it('counts every stream call by method and status', async () => {
    const text = await scrape('stream');
    const method = (name: string) => ({ grpc_method: `stream.v1.StreamService/${name}` });
    for (const name of ['PutStream', 'AllStream']) {
      expect(sample(text, 'grpc_server_call_started_total', method(name))).toBe(N);
      expect(
        sample(text, 'grpc_server_call_duration_seconds_count', { ...method(name), grpc_status: 'OK' }),
      ).toBe(N);
    }
    expect(sample(text, 'grpc_server_call_started_total', method('GetStream'))).toBe(N + M);
    expect(
      sample(text, 'grpc_server_call_duration_seconds_count', {
        ...method('GetStream'),
        grpc_status: 'INVALID_ARGUMENT',
      }),
    ).toBe(M);
  });

  it("shows the stream service's Greeter calls as client metrics, by target", async () => {
    const text = await scrape('stream');
    const labels = { grpc_method: 'helloworld.Greeter/SayHello', grpc_target: address('greeter') };
    const hops = N * NAMES.length;
    expect(sample(text, 'grpc_client_attempt_started_total', labels)).toBe(hops);
    expect(sample(text, 'grpc_client_attempt_duration_seconds_count', { ...labels, grpc_status: 'OK' })).toBe(
      hops,
    );
    expect(sample(text, 'grpc_client_call_duration_seconds_count', { ...labels, grpc_status: 'OK' })).toBe(
      hops,
    );
  });

  it('exposes the running-handler gauge, refused calls and Node runtime metrics', async () => {
    const text = await scrape('greeter');
    expect(text).toMatch(/^server_kit_running_handlers\{[^}]*\} 0$/m);
    expect(text).toMatch(/^server_kit_refused_calls_total\{[^}]*\} 0$/m);
    expect(text).toMatch(/^v8js_memory_heap_used_bytes\{[^}]*\} \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_delay_p99_seconds\{[^}]*\} [\d.e-]+$/m);
  });

  it('passes promtool check metrics on both services', async () => {
    for (const name of ['greeter', 'stream']) {
      const text = await scrape(name);
      expect(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })).toBe('');
    }
  });
});
