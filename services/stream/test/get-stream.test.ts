import { status } from '@grpc/grpc-js';
import { isCallError } from '@repo/client-kit';
import type { GetStreamResponse } from '@repo/proto';
import { drain, waitFor } from '@repo/test-kit';
import { callLines } from './support/serve';
import { GET_STREAM, type Servers, startServers } from './support/servers';

let servers: Servers;

beforeEach(async () => {
  servers = await startServers();
});

afterEach(async () => {
  await servers.stop();
});

describe('GetStream', () => {
  it('streams count messages in order, each with the text and a payload of the requested size', async () => {
    const { received, error } = await drain(
      servers.client.getStream({ text: 'hi there', count: 5, intervalMs: 0, payloadBytes: 10 }),
    );
    expect(error).toBeUndefined();
    expect(received.map(({ index }) => index)).toEqual([1, 2, 3, 4, 5]);
    for (const message of received) {
      expect(message.text).toBe('hi there');
      expect(message.payload).toEqual(Buffer.alloc(10, '.'));
    }
    expect(callLines(servers.stream, GET_STREAM)).toMatchObject([{ code: 'OK', level: 'info' }]);
  });

  it('sends an empty payload when none is asked for', async () => {
    const { received } = await drain(servers.client.getStream({ text: 'x', count: 2 }));
    expect(received.map(({ payload }) => payload.length)).toEqual([0, 0]);
  });

  it('waits at least intervalMs between two messages', async () => {
    const arrivals: number[] = [];
    const started = performance.now();
    for await (const _ of servers.client.getStream({ text: 'tick', count: 5, intervalMs: 60 })) {
      arrivals.push(performance.now() - started);
    }
    expect(arrivals).toHaveLength(5);
    // Lower bounds only: a busy machine may always be slower. The whole stream takes at least its
    // four intervals (less a few ms of clock granularity); each gap is checked loosely, since one
    // message delayed in transit shortens the gap after it, but a burst would still fail.
    const gaps = arrivals.slice(1).map((at, i) => at - (arrivals[i] ?? at));
    expect(gaps.reduce((sum, gap) => sum + gap, 0)).toBeGreaterThanOrEqual(4 * 60 - 5);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(30);
  });

  it('returns INVALID_ARGUMENT with the exact reason for a count of zero', async () => {
    const { received, error } = await drain(servers.client.getStream({ text: 'x', count: 0 }));
    expect(received).toEqual([]);
    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'count must be from 1 to 10000000, got 0',
    });
    expect(callLines(servers.stream, GET_STREAM)).toMatchObject([
      { code: 'INVALID_ARGUMENT', details: 'count must be from 1 to 10000000, got 0' },
    ]);
  });

  it('stops the server-side handler at once when the client leaves the loop early', async () => {
    const received: GetStreamResponse[] = [];
    const started = performance.now();
    for await (const message of servers.client.getStream({ text: 'x', count: 1000, intervalMs: 20 })) {
      received.push(message);
      // The handler is counted while it streams, so the drop to zero below means something.
      expect(servers.stream.server.handlers.running).toBe(1);
      if (received.length === 3) break;
    }
    await waitFor(
      'the GetStream handler to finish',
      () => servers.stream.server.handlers.running === 0,
      1_000,
    );
    await waitFor('the GetStream call line', () => callLines(servers.stream, GET_STREAM).length === 1, 1_000);
    const [line] = callLines(servers.stream, GET_STREAM);
    expect(line).toMatchObject({ code: 'CANCELLED', details: 'Cancelled', level: 'warn' });
    // The whole stream would have taken 20 s; the server stopped shortly after message 3.
    expect(Number(line?.durationMs)).toBeLessThan(1_000);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(received.map(({ index }) => index)).toEqual([1, 2, 3]);
  });

  it('ends with DEADLINE_EXCEEDED when the deadline passes between two messages, and frees the handler', async () => {
    const started = performance.now();
    const { received, error } = await drain(
      servers.client.getStream({ text: 'slow', count: 5, intervalMs: 10_000 }, { timeoutMs: 100 }),
    );
    const elapsed = performance.now() - started;
    expect(received.map(({ index }) => index)).toEqual([1]);
    expect(isCallError(error)).toBe(true);
    expect(error).toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect((error as { details: string }).details).toMatch(/^Deadline exceeded/);
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(2_000);
    await waitFor(
      'the GetStream handler to finish',
      () => servers.stream.server.handlers.running === 0,
      1_000,
    );
    await waitFor('the GetStream call line', () => callLines(servers.stream, GET_STREAM).length === 1, 1_000);
    expect(callLines(servers.stream, GET_STREAM)).toMatchObject([
      { code: 'DEADLINE_EXCEEDED', details: 'Deadline exceeded' },
    ]);
  });

  it('ends with CANCELLED when the AbortSignal aborts mid-stream, and frees the handler', async () => {
    const controller = new AbortController();
    const received: GetStreamResponse[] = [];
    let error: unknown;
    try {
      for await (const message of servers.client.getStream(
        { text: 'x', count: 1000, intervalMs: 20 },
        { signal: controller.signal },
      )) {
        received.push(message);
        if (received.length === 2) controller.abort();
      }
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    expect(received.map(({ index }) => index)).toEqual([1, 2]);
    await waitFor(
      'the GetStream handler to finish',
      () => servers.stream.server.handlers.running === 0,
      1_000,
    );
  });
});
