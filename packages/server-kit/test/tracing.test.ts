import { setTimeout as delay } from 'node:timers/promises';
import { Metadata, status } from '@grpc/grpc-js';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { HealthClient } from '@repo/client-kit';
import { type GreeterServer, GreeterService } from '@repo/proto';
import { LogSink } from '@repo/test-kit';
import { createLogger, createServer, type GrpcServer, type Logger } from '../src';
import { createGreeterClient, type Greeter } from './support/calls';
import { deadlineIn } from './support/timing';

const PARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';

/** A Greeter whose handler logs from inside the call, after an await; "fail" makes it throw. */
function loggingGreeter(logger: Logger): GreeterServer {
  return {
    sayHello: async (call, callback) => {
      await delay(1);
      logger.info({ name: call.request.name }, 'greeting');
      if (call.request.name === 'fail') throw new Error('the greeting broke');
      callback(null, { message: `Hello ${call.request.name}` });
    },
  };
}

function callWith(client: Greeter, name: string, traceparent?: string): Promise<number> {
  const metadata = new Metadata();
  if (traceparent) metadata.set('traceparent', traceparent);
  return new Promise((resolve) =>
    client.sayHello({ name }, metadata, { deadline: deadlineIn(5_000) }, (err) =>
      resolve(err?.code ?? status.OK),
    ),
  );
}

describe('a traced server', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const logs = new LogSink();
  let server: GrpcServer;
  let client: Greeter;
  let target: string;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const logger = createLogger({ name: 'test', level: 'debug', traceContext: true }, logs);
    server = createServer({
      logger,
      services: [{ definition: GreeterService, implementation: loggingGreeter(logger) }],
      telemetry: { tracer: provider.getTracer('test') },
    });
    target = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    client = createGreeterClient(target);
  });

  afterAll(async () => {
    client.close();
    await server.shutdown(1_000);
    context.disable();
    propagation.disable();
    trace.disable();
  });

  beforeEach(() => exporter.reset());

  it("continues the caller's trace with a SERVER span, and every log line of the call carries it", async () => {
    expect(await callWith(client, 'Ada', `00-${PARENT_TRACE}-${PARENT_SPAN}-01`)).toBe(status.OK);

    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('helloworld.Greeter/SayHello');
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.spanContext().traceId).toBe(PARENT_TRACE);
    expect(span?.parentSpanContext?.spanId).toBe(PARENT_SPAN);
    expect(span?.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.grpc.status_code': status.OK });
    const ids = { trace_id: PARENT_TRACE, span_id: span?.spanContext().spanId, trace_flags: '01' };
    expect(logs.find('greeting', (line) => line.name === 'Ada')).toEqual([expect.objectContaining(ids)]);
    expect(logs.find('call', (line) => line.trace_id === PARENT_TRACE)).toEqual([
      expect.objectContaining({ ...ids, code: 'OK' }),
    ]);
  });

  it('starts a trace for a call that brings none, and records a failure as INTERNAL, logged in it', async () => {
    expect(await callWith(client, 'fail')).toBe(status.INTERNAL);

    const [span] = exporter.getFinishedSpans();
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.attributes['rpc.grpc.status_code']).toBe(status.INTERNAL);
    expect(span?.status).toMatchObject({ code: 2 });
    const ids = { trace_id: span?.spanContext().traceId, span_id: span?.spanContext().spanId };
    expect(logs.find('handler failed')).toEqual([expect.objectContaining(ids)]);
    expect(logs.find('greeting', (line) => line.name === 'fail')).toEqual([expect.objectContaining(ids)]);
  });

  it('makes no span for a health check (probes would bury the traces)', async () => {
    const health = new HealthClient(target);
    try {
      expect(await health.check()).toBe('SERVING');
    } finally {
      health.close();
    }
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('writes no trace ids outside a call', () => {
    const before = logs.lines.length;
    createLogger({ name: 'test', level: 'info', traceContext: true }, logs).info('idle');
    expect(logs.lines.slice(before)).toEqual([expect.not.objectContaining({ trace_id: expect.anything() })]);
  });
});
