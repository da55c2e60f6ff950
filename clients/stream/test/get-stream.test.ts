import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import type { GetStreamResponse } from '@repo/proto';
import { StatusError } from '@repo/server-kit';
import { closedAddress, drain, waitFor } from '@repo/test-kit';
import { StreamClient } from '../src';
import { TestStreamServer } from './support/test-stream-server';

let server: TestStreamServer;
let client: StreamClient;

beforeEach(async () => {
  server = await TestStreamServer.start();
  client = new StreamClient({ target: server.target });
});

afterEach(async () => {
  client.close();
  await server.stop();
});

describe('StreamClient.getStream', () => {
  it('yields every message of the stream, in order', async () => {
    const { received, error } = await drain(
      client.getStream({ text: 'hi', count: 3, intervalMs: 5, payloadBytes: 4 }),
    );
    expect(error).toBeUndefined();
    expect(received).toEqual([
      { index: 1, text: 'hi', payload: Buffer.from('pppp') },
      { index: 2, text: 'hi', payload: Buffer.from('pppp') },
      { index: 3, text: 'hi', payload: Buffer.from('pppp') },
    ]);
  });

  it('fills the fields the request leaves out with their defaults', async () => {
    await drain(client.getStream({ text: 'x' }));
    expect(server.call.received).toEqual([{ text: 'x', count: 1, intervalMs: 0, payloadBytes: 0 }]);
  });

  it('starts the call only when the loop does, so that an early failure is not left unhandled', async () => {
    const messages = client.getStream({ text: 'x', count: 0 });
    await sleep(200);
    expect(server.calls).toEqual([]);
    const { received, error } = await drain(messages);
    expect(received).toEqual([]);
    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'count must be at least 1, got 0',
    });
  });

  it('cancels the server call when the loop is left early', async () => {
    const received: GetStreamResponse[] = [];
    for await (const message of client.getStream({ text: 'x', count: 1_000, intervalMs: 10 })) {
      received.push(message);
      if (received.length === 2) break;
    }
    expect(received.map(({ index }) => index)).toEqual([1, 2]);
    await waitFor('the server to see the cancellation', () => server.call.cancelled, 1_000);
  });

  it('cancels the server call when the loop body throws', async () => {
    const failure = new Error('consumer failed');
    await expect(
      (async () => {
        for await (const _ of client.getStream({ text: 'x', count: 1_000, intervalMs: 10 })) throw failure;
      })(),
    ).rejects.toBe(failure);
    await waitFor('the server to see the cancellation', () => server.call.cancelled, 1_000);
  });

  it("throws the server's status after the messages that came before it", async () => {
    server.getStream = async (call) => {
      call.write({ index: 1, text: 'a', payload: Buffer.alloc(0) });
      throw new StatusError(status.RESOURCE_EXHAUSTED, 'too many streams');
    };
    const { received, error } = await drain(client.getStream({ text: 'a', count: 5 }));
    expect(received.map(({ index }) => index)).toEqual([1]);
    expect(error).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: 'too many streams' });
  });

  it('throws INVALID_ARGUMENT as the server words it', async () => {
    const { received, error } = await drain(client.getStream({ text: 'a', count: 0 }));
    expect(received).toEqual([]);
    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'count must be at least 1, got 0',
    });
  });

  it('throws CANCELLED when the AbortSignal aborts mid-stream, and the server sees it', async () => {
    const controller = new AbortController();
    const received: number[] = [];
    let error: unknown;
    try {
      for await (const { index } of client.getStream(
        { text: 'x', count: 1_000, intervalMs: 10 },
        { signal: controller.signal },
      )) {
        received.push(index);
        if (index === 2) controller.abort();
      }
    } catch (err: unknown) {
      error = err;
    }
    expect(received).toEqual([1, 2]);
    expect(error).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    await waitFor('the server to see the cancellation', () => server.call.cancelled, 1_000);
  });

  it('throws CANCELLED while waiting for a message when the AbortSignal aborts', async () => {
    const controller = new AbortController();
    const result = drain(
      client.getStream({ text: 'x', count: 2, intervalMs: 10_000 }, { signal: controller.signal }),
    );
    await waitFor('the server to get the call', () => server.calls.length === 1, 2_000);
    await sleep(50);
    controller.abort();
    const { received, error } = await result;
    expect(received.map(({ index }) => index)).toEqual([1]);
    expect(error).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
  });

  it('throws DEADLINE_EXCEEDED when the stream outlasts timeoutMs', async () => {
    const started = performance.now();
    const { received, error } = await drain(
      client.getStream({ text: 'x', count: 3, intervalMs: 10_000 }, { timeoutMs: 150 }),
    );
    expect(received.map(({ index }) => index)).toEqual([1]);
    expect(error).toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect(performance.now() - started).toBeLessThan(2_000);
    await waitFor('the server to see the deadline pass', () => server.call.cancelled, 1_000);
  });

  it('sends requestId as x-request-id, with the other metadata', async () => {
    await drain(client.getStream({ text: 'x' }, { requestId: 'req-1', metadata: { 'x-tenant': 'acme' } }));
    expect(server.call.metadata.get('x-request-id')).toEqual(['req-1']);
    expect(server.call.metadata.get('x-tenant')).toEqual(['acme']);
  });

  it('throws UNAVAILABLE when nothing listens at the target', async () => {
    const unreachable = new StreamClient({ target: await closedAddress() });
    try {
      const { error } = await drain(unreachable.getStream({ text: 'x' }, { timeoutMs: 5_000 }));
      expect(error).toMatchObject({ code: status.UNAVAILABLE });
    } finally {
      unreachable.close();
    }
  });
});
