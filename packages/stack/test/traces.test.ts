import { runNode } from '@repo/runner';
import { OtlpReceiver, type ReceivedSpan, waitFor } from '@repo/test-kit';
import { type RunningService, startServices, stopServices } from '../src/processes';
import { SERVICES } from '../src/services';

const GREETER_CLI = require.resolve('@repo/greeter-client/cli');
const STREAM_CLI = require.resolve('@repo/stream-client/cli');
const ANY_PORT = new Map(SERVICES.map(({ name }) => [name, 0]));

/** OTLP/JSON to the receiver, spans sent within 50 ms of ending, no metrics pushed. */
function otelEnv(receiver: OtlpReceiver, protocol = 'http/json'): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? receiver.grpcEndpoint : receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_METRICS_EXPORTER: 'none',
  };
}

function traceIdOf(stderr: string): string {
  const traceId = /trace id ([0-9a-f]{32})/.exec(stderr)?.[1];
  if (!traceId) throw new Error(`the CLI printed no trace id: ${stderr}`);
  return traceId;
}

/** The one span `predicate` picks, or a failure that shows the trace. */
function only(spans: readonly ReceivedSpan[], predicate: (span: ReceivedSpan) => boolean): ReceivedSpan {
  const found = spans.filter(predicate);
  if (found.length !== 1) {
    throw new Error(`expected one span, found ${found.length} in ${JSON.stringify(spans, null, 1)}`);
  }
  return found[0] as ReceivedSpan;
}

describe('traces of the whole stack, exported over OTLP', () => {
  let receiver: OtlpReceiver;
  let running: RunningService[];
  const logs: { service: string; line: Record<string, unknown> }[] = [];
  const target = (name: string) => running.find((service) => service.name === name)?.address ?? '';

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    running = await startServices(SERVICES, {
      ports: ANY_PORT,
      metricsPorts: ANY_PORT,
      // At debug, every call is logged (at info, a fast successful unary call is not).
      env: { ...otelEnv(receiver), LOG_LEVEL: 'debug' },
      onLine: (service, line, stream) => {
        if (stream === 'stdout') logs.push({ service, line: JSON.parse(line) as Record<string, unknown> });
      },
    });
  });

  afterAll(async () => {
    await stopServices(running);
    await receiver.close();
  });

  const inTrace = (traceId: string, count: number) =>
    receiver.waitFor((spans) => spans.filter((span) => span.traceId === traceId).length >= count);

  it('follows one `stream all` from the CLI through AllStream to every Greeter call, in one trace', async () => {
    const cli = await runNode(
      STREAM_CLI,
      ['all', 'Ada', 'Grace', 'Linus', '-t', target('stream'), '--trace'],
      {
        env: otelEnv(receiver),
      },
    );
    expect(cli.exit).toBe(0);
    const traceId = traceIdOf(cli.stderr);

    const trace = (await inTrace(traceId, 9)).filter((span) => span.traceId === traceId);

    const root = only(trace, (span) => span.parentSpanId === '');
    expect(root).toMatchObject({ service: 'stream-cli', name: 'stream all', kind: 'INTERNAL' });
    const cliCall = only(trace, (span) => span.kind === 'CLIENT' && span.service === 'stream-cli');
    expect(cliCall).toMatchObject({
      name: 'stream.v1.StreamService/AllStream',
      parentSpanId: root.spanId,
      attributes: { 'rpc.system': 'grpc', 'rpc.grpc.status_code': 0 },
    });
    const allStream = only(trace, (span) => span.kind === 'SERVER' && span.service === 'stream');
    expect(allStream).toMatchObject({
      name: 'stream.v1.StreamService/AllStream',
      parentSpanId: cliCall.spanId,
      attributes: {
        'rpc.service': 'stream.v1.StreamService',
        'rpc.method': 'AllStream',
        'rpc.grpc.status_code': 0,
      },
    });
    const greeterCalls = trace.filter((span) => span.kind === 'CLIENT' && span.service === 'stream');
    expect(greeterCalls).toHaveLength(3);
    for (const call of greeterCalls) {
      expect(call).toMatchObject({
        name: 'helloworld.Greeter/SayHello',
        parentSpanId: allStream.spanId,
        attributes: { 'rpc.grpc.status_code': 0 },
      });
    }
    const greeterServed = trace.filter((span) => span.kind === 'SERVER' && span.service === 'greeter');
    expect(greeterServed.map((span) => span.parentSpanId).sort()).toEqual(
      greeterCalls.map((span) => span.spanId).sort(),
    );
    for (const served of greeterServed) {
      expect(served).toMatchObject({
        name: 'helloworld.Greeter/SayHello',
        attributes: { 'rpc.grpc.status_code': 0 },
      });
    }
    expect(trace).toHaveLength(9);

    // Logs and traces join: each call's log line names its span (lines are written asynchronously).
    const callLines = () => logs.filter(({ line }) => line.trace_id === traceId && line.msg === 'call');
    await waitFor('the log lines of the traced calls', () => callLines().length >= 4, 5_000);
    const greeterLines = callLines();
    expect(greeterLines.map(({ line }) => line.span_id).sort()).toEqual(
      [allStream, ...greeterServed].map((span) => span.spanId).sort(),
    );
  });

  it('continues a caller’s traceparent through the gateway to the Greeter, one span per hop', async () => {
    const [traceId, callerSpanId] = ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'];
    const response = await fetch(`http://${target('gateway')}/helloworld.Greeter/SayHello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: '{"name":"Traced"}',
    });
    expect(await response.json()).toEqual({ message: 'Hello Traced' });

    const trace = (await inTrace(traceId, 3)).filter((span) => span.traceId === traceId);
    const gateway = only(trace, (span) => span.service === 'gateway' && span.kind === 'SERVER');
    expect(gateway.parentSpanId).toBe(callerSpanId);
    const hop = only(trace, (span) => span.service === 'gateway' && span.kind === 'CLIENT');
    expect(hop).toMatchObject({ name: 'helloworld.Greeter/SayHello', parentSpanId: gateway.spanId });
    const greeter = only(trace, (span) => span.service === 'greeter' && span.kind === 'SERVER');
    expect(greeter).toMatchObject({ name: 'helloworld.Greeter/SayHello', parentSpanId: hop.spanId });
  });

  it('gives GetStream and PutStream their client and server spans, ended with the stream', async () => {
    const get = await runNode(
      STREAM_CLI,
      ['get', 'tick', '-c', '3', '-i', '0', '-t', target('stream'), '--trace'],
      {
        env: otelEnv(receiver),
      },
    );
    const put = await runNode(STREAM_CLI, ['put', 'a', 'b', '-t', target('stream'), '--trace'], {
      env: otelEnv(receiver),
    });
    expect([get.exit, put.exit]).toEqual([0, 0]);

    for (const [result, method] of [
      [get, 'GetStream'],
      [put, 'PutStream'],
    ] as const) {
      const traceId = traceIdOf(result.stderr);
      const trace = (await inTrace(traceId, 3)).filter((span) => span.traceId === traceId);
      const client = only(trace, (span) => span.kind === 'CLIENT');
      const server = only(trace, (span) => span.kind === 'SERVER');
      expect(client).toMatchObject({ name: `stream.v1.StreamService/${method}`, service: 'stream-cli' });
      expect(server).toMatchObject({
        name: `stream.v1.StreamService/${method}`,
        service: 'stream',
        parentSpanId: client.spanId,
        attributes: { 'rpc.grpc.status_code': 0 },
      });
    }
  });

  it('records INVALID_ARGUMENT on both sides: an error for the client, the client’s fault for the server', async () => {
    const cli = await runNode(GREETER_CLI, ['hello', '', '-t', target('greeter'), '--trace'], {
      env: otelEnv(receiver),
    });
    expect(cli.exit).toBe(1);
    const traceId = traceIdOf(cli.stderr);

    const trace = (await inTrace(traceId, 3)).filter((span) => span.traceId === traceId);
    const client = only(trace, (span) => span.kind === 'CLIENT');
    expect(client.attributes['rpc.grpc.status_code']).toBe(3);
    expect(client.status.code).toBe(2);
    const server = only(trace, (span) => span.kind === 'SERVER');
    expect(server).toMatchObject({ service: 'greeter', parentSpanId: client.spanId });
    expect(server.attributes['rpc.grpc.status_code']).toBe(3);
    expect(server.status.code).toBe(0);
    await waitFor(
      'the log line of the call',
      () => logs.some(({ line }) => line.trace_id === traceId),
      5_000,
    );
    const line = logs.find(({ line }) => line.trace_id === traceId)?.line;
    expect(line).toMatchObject({ code: 'INVALID_ARGUMENT', span_id: server.spanId, level: 'warn' });
  });
});

describe.each(['http/protobuf', 'grpc'])('traces and metrics over OTLP %s', (protocol) => {
  let receiver: OtlpReceiver;
  let running: RunningService[];

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    running = await startServices(SERVICES.slice(0, 1), {
      ports: ANY_PORT,
      metricsPorts: ANY_PORT,
      env: {
        ...otelEnv(receiver, protocol),
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_METRIC_EXPORT_INTERVAL: '200',
      },
      onLine: () => {},
    });
  });

  afterAll(async () => {
    await stopServices(running);
    await receiver.close();
  });

  it('exports the span of a call the CLI started, and pushes metrics', async () => {
    // The CLI exports nothing itself: the Greeter's span is found by the trace id it printed.
    const cli = await runNode(GREETER_CLI, ['hello', 'Ada', '-t', running[0]?.address ?? '', '--trace']);
    expect(cli.exit).toBe(0);
    const traceId = traceIdOf(cli.stderr);

    const spans = await receiver.waitFor((all) => all.some((span) => span.traceId === traceId));
    expect(only(spans, (span) => span.traceId === traceId)).toMatchObject({
      service: 'greeter',
      kind: 'SERVER',
      name: 'helloworld.Greeter/SayHello',
      attributes: { 'rpc.grpc.status_code': 0 },
    });
    expect(receiver.requests).toContainEqual({ protocol, signal: 'traces' });
    await receiver.waitFor(() => receiver.requests.some((request) => request.signal === 'metrics'));
    expect(receiver.requests).toContainEqual({ protocol, signal: 'metrics' });
  });
});
