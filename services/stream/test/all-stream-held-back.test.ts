import { status } from '@grpc/grpc-js';
import { StreamClient } from '@repo/stream-client';
import { drain, waitFor } from '@repo/test-kit';
import { GREETER_CALLS_IN_FLIGHT } from '../src/all-stream';
import { type Served, serveStream } from './support/stack';
import { serveTestGreeter, type TestGreeter } from './support/test-greeter';

let greeter: TestGreeter;
let stream: Served;
let client: StreamClient;

beforeEach(async () => {
  greeter = await serveTestGreeter();
  stream = await serveStream(greeter.running.target);
  client = new StreamClient({ target: stream.running.target });
});

afterEach(async () => {
  client.close();
  await stream.running.stop();
  await greeter.running.stop();
});

const messagesOf = (received: { message: string }[]) => received.map(({ message }) => message);

describe('AllStream with several Greeter calls in flight', () => {
  it('writes the answers in the order of the names when later calls answer first', async () => {
    const names = ['Ada~150', 'Grace~10', 'Linus~80', 'Barbara'];
    const { received, error } = await drain(client.allStream(names, { timeoutMs: 5_000 }));

    expect(error).toBeUndefined();
    expect(messagesOf(received)).toEqual(names.map((name) => `Hello ${name}`));
    // Called side by side: one at a time, the Greeter would never have had two.
    expect(greeter.peakInFlight()).toBe(names.length);
  });

  it(`keeps at most ${GREETER_CALLS_IN_FLIGHT} Greeter calls in flight per stream`, async () => {
    const names = Array.from({ length: 3 * GREETER_CALLS_IN_FLIGHT }, (_, i) => `n${i}~${20 + (i % 7) * 5}`);
    const { received, error } = await drain(client.allStream(names, { timeoutMs: 10_000 }));

    expect(error).toBeUndefined();
    expect(messagesOf(received)).toEqual(names.map((name) => `Hello ${name}`));
    expect(greeter.peakInFlight()).toBe(GREETER_CALLS_IN_FLIGHT);
  });

  it('answers the names before a failed one, then fails at its position and cancels the calls after it', async () => {
    const { received, error } = await drain(
      client.allStream(['Ada', 'invalid~30', 'hang', 'hang'], { timeoutMs: 5_000 }),
    );

    expect(messagesOf(received)).toEqual(['Hello Ada']);
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'message 2: name: not this one' });
    await waitFor(
      'the Greeter calls in flight to be cancelled',
      () => greeter.calls.filter(({ name, cancelled }) => name === 'hang' && cancelled).length === 2,
      5_000,
    );
  });

  it('cancels the Greeter calls in flight when the client cancels', async () => {
    const controller = new AbortController();
    const responses = client.allStream(['hang', 'hang', 'hang'], { signal: controller.signal });
    const drained = drain(responses);
    await waitFor('three Greeter calls', () => greeter.calls.length === 3, 5_000);

    controller.abort();

    expect((await drained).error).toMatchObject({ code: status.CANCELLED });
    await waitFor(
      'every Greeter call to be cancelled',
      () => greeter.calls.every(({ cancelled }) => cancelled),
      5_000,
    );
  });
});
