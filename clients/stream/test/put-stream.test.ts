import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { StatusError } from '@repo/server-kit';
import { closedAddress, rejectionOf, waitFor } from '@repo/test-kit';
import { StreamClient } from '../src';
import { read, TestStreamServer } from './support/test-stream-server';

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

/** Yields `text 1`, `text 2`, ... up to `limit`, counting what was pulled and whether it was closed. */
function counted(limit: number) {
  const state = { pulled: 0, closed: false };
  function* texts() {
    try {
      for (let i = 1; i <= limit; i++) {
        state.pulled++;
        yield `text ${i}`;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, texts: texts() };
}

describe('StreamClient.putStream', () => {
  it("sends every text in order, half-closes, and resolves with the server's reply", async () => {
    const summary = await client.putStream(['alpha', 'beta', 'gamma']);
    expect(summary).toEqual({ count: 3, bytes: 14, preview: 'alpha, beta, gamma' });
    expect(server.call.received).toEqual([{ text: 'alpha' }, { text: 'beta' }, { text: 'gamma' }]);
  });

  it('takes request objects and async sources as well as strings', async () => {
    async function* source() {
      yield 'one';
      await sleep(10);
      yield { text: 'two' };
    }
    await expect(client.putStream(source())).resolves.toEqual({ count: 2, bytes: 6, preview: 'one, two' });
  });

  it('half-closes an empty source at once', async () => {
    await expect(client.putStream([])).resolves.toEqual({ count: 0, bytes: 0, preview: '' });
  });

  it('writes a large source with backpressure, without losing or reordering anything', async () => {
    const { state, texts } = counted(20_000);
    const summary = await client.putStream(texts);
    expect(summary.count).toBe(20_000);
    expect(state).toEqual({ pulled: 20_000, closed: true });
    const received = server.call.received as { text: string }[];
    expect(received[0]).toEqual({ text: 'text 1' });
    expect(received[19_999]).toEqual({ text: 'text 20000' });
  });

  it('stops writing and rejects when the server answers early with an error', async () => {
    server.putStream = async (call, callback, seen) => {
      for await (const _ of read(call, seen)) {
        if (seen.received.length === 5) {
          callback(new StatusError(status.INVALID_ARGUMENT, 'message 5: not welcome'));
          return;
        }
      }
    };
    const { state, texts } = counted(1_000_000);
    const err = await rejectionOf(client.putStream(texts));
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'message 5: not welcome' });
    // The source is closed (its finally ran) and no longer pulled from.
    await waitFor('the source to be closed', () => state.closed, 1_000);
    const pulled = state.pulled;
    expect(pulled).toBeLessThan(1_000_000);
    await sleep(100);
    expect(state.pulled).toBe(pulled);
  });

  it("rejects with the server's status when it fails after the client half-closed", async () => {
    server.putStream = async (call, _callback, seen) => {
      for await (const _ of read(call, seen));
      throw new StatusError(status.FAILED_PRECONDITION, 'nothing to store');
    };
    const err = await rejectionOf(client.putStream(['a']));
    expect(err).toMatchObject({ code: status.FAILED_PRECONDITION, details: 'nothing to store' });
  });

  it('cancels the call, which rejects with CANCELLED, when the source throws', async () => {
    async function* failing() {
      yield 'one';
      await sleep(20);
      throw new Error('source broke');
    }
    const err = await rejectionOf(client.putStream(failing()));
    expect(err).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    await waitFor('the server to see the cancellation', () => server.call.cancelled, 1_000);
  });

  it('rejects with CANCELLED when the AbortSignal aborts, and the server sees it', async () => {
    const controller = new AbortController();
    async function* slow() {
      yield 'one';
      await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve()));
    }
    const reply = client.putStream(slow(), { signal: controller.signal });
    await waitFor('the server to read the first text', () => server.calls[0]?.received.length === 1, 2_000);
    controller.abort();
    const err = await rejectionOf(reply);
    expect(err).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    await waitFor('the server to see the cancellation', () => server.call.cancelled, 1_000);
  });

  it('rejects with DEADLINE_EXCEEDED when the source outlasts timeoutMs', async () => {
    async function* endless() {
      for (;;) {
        yield 'tick';
        await sleep(20);
      }
    }
    const started = performance.now();
    const err = await rejectionOf(client.putStream(endless(), { timeoutMs: 150 }));
    expect(err).toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('sends requestId as x-request-id', async () => {
    await client.putStream(['a'], { requestId: 'put-1' });
    expect(server.call.metadata.get('x-request-id')).toEqual(['put-1']);
  });

  it('rejects with UNAVAILABLE when nothing listens at the target', async () => {
    const unreachable = new StreamClient({ target: await closedAddress() });
    try {
      const err = await rejectionOf(unreachable.putStream(['a'], { timeoutMs: 5_000 }));
      expect(err).toMatchObject({ code: status.UNAVAILABLE });
    } finally {
      unreachable.close();
    }
  });
});
