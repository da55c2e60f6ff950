import { status } from '@grpc/grpc-js';
import type { StreamClient } from '@repo/stream-client';
import { drain, waitFor } from '@repo/test-kit';
import { GREETER_TIMEOUT_MS } from '../src/all-stream';
import { callLines, type Served } from './support/serve';
import { ALL_STREAM, startServers } from './support/servers';
import type { TestGreeter } from './support/test-greeter';

let greeter: TestGreeter;
let stream: Served;
let client: StreamClient;
let stop: () => Promise<void>;

beforeEach(async () => {
  ({ greeter, stream, client, stop } = await startServers());
});

afterEach(() => stop());

// gRPC sends a deadline as a relative timeout, which each hop turns back into a time on
// arrival: over loopback that adds a few milliseconds per hop, never seconds.
const TRANSIT_MS = 100;

describe('AllStream calls to the Greeter', () => {
  it("carry the AllStream call's deadline and request id", async () => {
    const before = Date.now();
    const responses = client.allStream(['Ada', 'Grace'], { timeoutMs: 3_000, requestId: 'req-123' });
    const allStreamDeadline = Date.now() + 3_000;
    const { received, error } = await drain(responses);
    expect(error).toBeUndefined();
    expect(received.map(({ message }) => message)).toEqual(['Hello Ada', 'Hello Grace']);

    expect(greeter.calls.map(({ name }) => name)).toEqual(['Ada', 'Grace']);
    for (const call of greeter.calls) {
      expect(call.requestIds).toEqual(['req-123']);
      // Not the Greeter call's own 5 s: the AllStream's 3 s, which is earlier.
      expect(call.deadline).toBeLessThanOrEqual(allStreamDeadline + TRANSIT_MS);
      expect(call.deadline).toBeGreaterThanOrEqual(before + 3_000 - TRANSIT_MS);
    }
    expect(GREETER_TIMEOUT_MS).toBeGreaterThan(3_000 + 2 * TRANSIT_MS);
    expect(callLines(stream, ALL_STREAM)).toMatchObject([{ requestId: 'req-123', code: 'OK' }]);
  });

  it('carry their own deadline when the AllStream call has none', async () => {
    const before = Date.now();
    const { error } = await drain(client.allStream(['Ada']));
    expect(error).toBeUndefined();
    const [call] = greeter.calls;
    expect(call?.deadline).toBeGreaterThanOrEqual(before + GREETER_TIMEOUT_MS - TRANSIT_MS);
    expect(call?.deadline).toBeLessThanOrEqual(Date.now() + GREETER_TIMEOUT_MS + TRANSIT_MS);
  });

  it('carry the request id the stream service made up when the client sent none', async () => {
    const { error } = await drain(client.allStream(['Ada']));
    expect(error).toBeUndefined();
    const [line] = callLines(stream, ALL_STREAM);
    expect(line?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(greeter.calls[0]?.requestIds).toEqual([line?.requestId]);
  });

  it('are cancelled when the AllStream call is cancelled', async () => {
    const controller = new AbortController();
    const responses = drain(client.allStream(['hang'], { signal: controller.signal }));
    await waitFor('the Greeter to get the call', () => greeter.calls.length === 1, 2_000);
    controller.abort();
    const { error } = await responses;
    expect(error).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
    await waitFor('the Greeter call to be cancelled', () => greeter.calls[0]?.cancelled === true, 1_000);
    await waitFor('the AllStream handler to finish', () => stream.server.handlers.running === 0, 1_000);
  });

  it('end with the AllStream deadline when the Greeter does not answer in time', async () => {
    const started = performance.now();
    const { error } = await drain(client.allStream(['hang'], { timeoutMs: 300 }));
    expect(error).toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect(performance.now() - started).toBeLessThan(2_000);
    await waitFor('the Greeter call to end', () => greeter.calls[0]?.cancelled === true, 1_000);
    await waitFor('the AllStream handler to finish', () => stream.server.handlers.running === 0, 1_000);
  });
});
