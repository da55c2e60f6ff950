import { Metadata, status } from '@grpc/grpc-js';
import { INSTANCE, StatusError } from '@repo/server-kit';
import { closedAddress, rejectionOf, waitFor } from '@repo/test-kit';
import { DEFAULT_TARGET, Greeter } from '../src';
import { greet, TestGreeter } from './support/test-greeter';

let server: TestGreeter;
let greeter: Greeter;

beforeEach(async () => {
  server = await TestGreeter.start();
  greeter = new Greeter({ target: server.target });
});

afterEach(async () => {
  greeter.close();
  await server.stop();
});

describe('Greeter.sayHello', () => {
  it('resolves with the reply and the instance named in the x-served-by header', async () => {
    await expect(greeter.sayHello('Ada')).resolves.toEqual({ message: 'Hello Ada', servedBy: INSTANCE });
    expect(server.calls.map(({ request }) => request)).toEqual([{ name: 'Ada' }]);
  });

  it('sends the name exactly as given, astral characters included', async () => {
    await expect(greeter.sayHello('Ada 😀 Lovelace')).resolves.toMatchObject({
      message: 'Hello Ada 😀 Lovelace',
    });
  });

  it("rejects with the server's status code and details", async () => {
    server.behaviour = (_call, callback) => callback(new StatusError(status.NOT_FOUND, 'no such person'));
    const err = await rejectionOf(greeter.sayHello('Nobody'));
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: status.NOT_FOUND, details: 'no such person' });
  });

  it('rejects with INVALID_ARGUMENT as the server words it, without retrying', async () => {
    server.behaviour = (_call, callback) =>
      callback(new StatusError(status.INVALID_ARGUMENT, 'name must not be empty'));
    const err = await rejectionOf(greeter.sayHello(''));
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'name must not be empty' });
    expect(server.calls).toHaveLength(1);
  });

  it('retries a call the server answered with UNAVAILABLE, and resolves with the retry', async () => {
    server.behaviour = (call, callback) =>
      server.calls.length === 1
        ? callback(new StatusError(status.UNAVAILABLE, 'warming up'))
        : greet(call, callback);
    await expect(greeter.sayHello('Ada')).resolves.toMatchObject({ message: 'Hello Ada' });
    expect(server.calls).toHaveLength(2);
  });

  it('gives up after three attempts when the server stays UNAVAILABLE', async () => {
    server.behaviour = (_call, callback) => callback(new StatusError(status.UNAVAILABLE, 'overloaded'));
    const err = await rejectionOf(greeter.sayHello('Ada'));
    expect(err).toMatchObject({ code: status.UNAVAILABLE, details: 'overloaded' });
    expect(server.calls).toHaveLength(3);
  });

  it('rejects with DEADLINE_EXCEEDED when the server is slower than timeoutMs', async () => {
    server.behaviour = () => {}; // never answers
    const started = performance.now();
    const err = await rejectionOf(greeter.sayHello('Ada', { timeoutMs: 150 }));
    const elapsed = performance.now() - started;
    expect(err).toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect((err as { details: string }).details).toMatch(/^Deadline exceeded/);
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(2_000);
    await waitFor('the server to see the deadline pass', () => server.calls[0]?.cancelled === true, 1_000);
  });

  it('takes the earlier of deadline and timeoutMs', async () => {
    server.behaviour = () => {};
    const started = performance.now();
    const err = await rejectionOf(
      greeter.sayHello('Ada', { timeoutMs: 10_000, deadline: new Date(Date.now() + 150) }),
    );
    expect(err).toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('answers in time when the server is faster than timeoutMs', async () => {
    server.behaviour = (call, callback) => setTimeout(() => greet(call, callback), 50);
    await expect(greeter.sayHello('Ada', { timeoutMs: 2_000 })).resolves.toMatchObject({
      message: 'Hello Ada',
    });
  });

  it('rejects with CANCELLED when the AbortSignal aborts, and the server sees the cancellation', async () => {
    server.behaviour = () => {};
    const controller = new AbortController();
    const reply = greeter.sayHello('Ada', { signal: controller.signal });
    await waitFor('the server to get the call', () => server.calls.length === 1, 2_000);
    controller.abort();
    const err = await rejectionOf(reply);
    expect(err).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    await waitFor('the server to see the cancellation', () => server.calls[0]?.cancelled === true, 1_000);
  });

  it('rejects with CANCELLED at once for a signal that has already aborted', async () => {
    const err = await rejectionOf(greeter.sayHello('Ada', { signal: AbortSignal.abort() }));
    expect(err).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    expect(server.calls).toEqual([]);
  });

  it('sends requestId as x-request-id, with the other metadata', async () => {
    await greeter.sayHello('Ada', { requestId: 'req-42', metadata: { 'x-tenant': 'acme' } });
    expect(server.calls[0]?.metadata).toMatchObject({ 'x-request-id': ['req-42'], 'x-tenant': ['acme'] });
  });

  it('sends a Metadata object without changing the caller’s copy', async () => {
    const metadata = new Metadata();
    metadata.set('x-tenant', 'acme');
    await greeter.sayHello('Ada', { metadata, requestId: 'req-43' });
    expect(server.calls[0]?.metadata).toMatchObject({ 'x-request-id': ['req-43'], 'x-tenant': ['acme'] });
    expect(metadata.get('x-request-id')).toEqual([]);
  });

  it('can make many calls on one client, concurrently', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `name ${i}`);
    const replies = await Promise.all(names.map((name) => greeter.sayHello(name)));
    expect(replies.map(({ message }) => message)).toEqual(names.map((name) => `Hello ${name}`));
  });
});

describe('Greeter without a server', () => {
  it('rejects with UNAVAILABLE after its few retries, not after the deadline', async () => {
    const unreachable = new Greeter({ target: await closedAddress() });
    try {
      const started = performance.now();
      const err = await rejectionOf(unreachable.sayHello('Ada', { timeoutMs: 10_000 }));
      expect(err).toMatchObject({ code: status.UNAVAILABLE });
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      unreachable.close();
    }
  });

  it('targets localhost:50051 by default', () => {
    const local = new Greeter();
    try {
      expect(DEFAULT_TARGET).toBe('localhost:50051');
      expect(local.target).toBe('localhost:50051');
    } finally {
      local.close();
    }
  });
});
