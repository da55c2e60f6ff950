import { context, propagation, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { toGrpcCall } from '../src';

const PARENT = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
};

describe('trace context in the calls a client library makes', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });

  afterAll(() => {
    context.disable();
    propagation.disable();
  });

  it('carries the active span as a W3C traceparent, also after an await', async () => {
    const active = trace.setSpanContext(context.active(), PARENT);
    const metadata = await context.with(active, async () => {
      await new Promise(setImmediate);
      return toGrpcCall({ requestId: 'r-1' }).metadata;
    });

    expect(metadata.get('traceparent')).toEqual([`00-${PARENT.traceId}-${PARENT.spanId}-01`]);
    expect(metadata.get('x-request-id')).toEqual(['r-1']);
  });

  it('adds nothing outside a trace', () => {
    expect(toGrpcCall().metadata.getMap()).toEqual({});
  });
});
