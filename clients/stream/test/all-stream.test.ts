import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { StatusError } from '@repo/server-kit';
import { drain, waitFor } from '@repo/test-kit';
import { StreamClient } from '../src';
import { read, SERVED_BY, TestStreamServer } from './support/test-stream-server';

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

describe('StreamClient.allStream', () => {
  it('sends every name and yields the answers in order', async () => {
    const { received, error } = await drain(client.allStream(['Ada', { name: 'Grace' }, 'Linus']));
    expect(error).toBeUndefined();
    expect(received).toEqual([
      { message: 'Hello Ada', servedBy: SERVED_BY },
      { message: 'Hello Grace', servedBy: SERVED_BY },
      { message: 'Hello Linus', servedBy: SERVED_BY },
    ]);
    expect(server.call.received).toEqual([{ name: 'Ada' }, { name: 'Grace' }, { name: 'Linus' }]);
  });

  it('yields each answer as it comes, while the source is still open', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* names() {
      yield 'Ada';
      await released;
      yield 'Grace';
    }
    const received: string[] = [];
    // Were the answers held back until the source ended, this would deadlock until the deadline.
    for await (const { message } of client.allStream(names(), { timeoutMs: 5_000 })) {
      received.push(message);
      release();
    }
    expect(received).toEqual(['Hello Ada', 'Hello Grace']);
  });

  it('reads nothing from the source and starts no call until the loop starts', async () => {
    let pulled = 0;
    function* names() {
      pulled++;
      yield 'Ada';
    }
    const answers = client.allStream(names());
    await sleep(100);
    expect(pulled).toBe(0);
    expect(server.calls).toEqual([]);
    const { received } = await drain(answers);
    expect(received.map(({ message }) => message)).toEqual(['Hello Ada']);
  });

  it("throws the server's status after the answers that came before it", async () => {
    const { received, error } = await drain(client.allStream(['Ada', '', 'Grace']));
    expect(received.map(({ message }) => message)).toEqual(['Hello Ada']);
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'name must not be empty' });
  });

  it('cancels the call when the loop is left early, and stops reading the source', async () => {
    let pulled = 0;
    function* names() {
      for (let i = 1; i <= 100_000; i++) {
        pulled++;
        yield `name ${i}`;
      }
    }
    const received: string[] = [];
    for await (const { message } of client.allStream(names())) {
      received.push(message);
      if (received.length === 2) break;
    }
    expect(received).toEqual(['Hello name 1', 'Hello name 2']);
    await waitFor('the server to see the cancellation', () => server.call.cancelled, 1_000);
    const seen = pulled;
    expect(seen).toBeLessThan(100_000);
    await sleep(100);
    expect(pulled).toBe(seen);
  });

  it('throws CANCELLED when the AbortSignal aborts, and the server sees it', async () => {
    const controller = new AbortController();
    async function* names() {
      yield 'Ada';
      await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve()));
    }
    const received: string[] = [];
    let error: unknown;
    try {
      for await (const { message } of client.allStream(names(), { signal: controller.signal })) {
        received.push(message);
        controller.abort();
      }
    } catch (err: unknown) {
      error = err;
    }
    expect(received).toEqual(['Hello Ada']);
    expect(error).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    await waitFor('the server to see the cancellation', () => server.call.cancelled, 1_000);
  });

  it('throws DEADLINE_EXCEEDED when the call outlasts timeoutMs', async () => {
    server.allStream = async (call, seen) => {
      for await (const _ of read(call, seen)); // reads, never answers
    };
    const started = performance.now();
    const { error } = await drain(client.allStream(['Ada'], { timeoutMs: 150 }));
    expect(error).toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('sends requestId as x-request-id', async () => {
    await drain(client.allStream(['Ada'], { requestId: 'all-1' }));
    expect(server.call.metadata.get('x-request-id')).toEqual(['all-1']);
  });

  it('ends cleanly when the server answers and closes before the source is done', async () => {
    server.allStream = async (call, seen) => {
      for await (const { name } of read(call, seen)) {
        call.write({ message: `Bye ${name}`, servedBy: SERVED_BY });
        call.end();
        return;
      }
    };
    const { received, error } = await drain(client.allStream(['Ada', 'Grace', 'Linus']));
    expect(error).toBeUndefined();
    expect(received.map(({ message }) => message)).toEqual(['Bye Ada']);
  });

  it('throws the status of a server that fails before answering anything', async () => {
    server.allStream = async () => {
      throw new StatusError(status.PERMISSION_DENIED, 'not for you');
    };
    const { received, error } = await drain(client.allStream(['Ada']));
    expect(received).toEqual([]);
    expect(error).toMatchObject({ code: status.PERMISSION_DENIED, details: 'not for you' });
  });
});
