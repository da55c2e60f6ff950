import { status } from '@grpc/grpc-js';
import type { GetStreamResponse } from '@repo/proto';
import { errorDetailsOf, StreamClient } from '@repo/stream-client';
import { closedAddress, rejectionOf, type ServiceProcess, spawnService, within } from '@repo/test-kit';
import { STREAM_MAIN } from './support/servers';

// The built service in a process of its own, read by the client library (grpc-js): what a
// program learns from the error details of each kind of refusal, beyond the code and message.
const DOMAIN = 'stream.v1.StreamService';

/** Reads a GetStream to its end; resolves with what arrived, rejects with the call's error. */
async function readAll(stream: AsyncIterable<GetStreamResponse>, received: GetStreamResponse[] = []) {
  for await (const message of stream) received.push(message);
  return received;
}

describe('the error details of the stream service', () => {
  let service: ServiceProcess;
  let client: StreamClient;

  beforeEach(async () => {
    service = await spawnService(STREAM_MAIN, {
      GREETER_ADDR: await closedAddress(),
      MAX_RUNNING_HANDLERS: '1',
      SHUTDOWN_GRACE_MS: '300',
    });
    client = new StreamClient({ target: service.target });
  });

  afterEach(async () => {
    client.close();
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    await service.exited;
  });

  it('names the field that is wrong in a BadRequest, with a stable reason', async () => {
    const err = await rejectionOf(readAll(client.getStream({ count: 0 }, { timeoutMs: 5_000 })));

    expect(err).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'count must be from 1 to 10000000, got 0',
    });
    expect(errorDetailsOf(err)).toEqual({
      errorInfo: { reason: 'COUNT_OUT_OF_RANGE', domain: DOMAIN, metadata: {} },
      badRequest: { fieldViolations: [{ field: 'count', description: 'must be from 1 to 10000000, got 0' }] },
    });
  });

  it('tells a client refused by a busy server, then one ended by a shutdown, when to retry', async () => {
    const received: GetStreamResponse[] = [];
    const long = readAll(client.getStream({ text: 'tick', count: 1_000, intervalMs: 100 }), received);
    long.catch(() => {}); // Awaited below.
    await within(
      (async () => {
        while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      5_000,
      'the first message of the long stream',
    );

    // MAX_RUNNING_HANDLERS is 1, and the long stream's handler holds it.
    const busy = await rejectionOf(readAll(client.getStream({ count: 1 }, { timeoutMs: 5_000 })));
    expect(busy).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(errorDetailsOf(busy)).toEqual({
      errorInfo: { reason: 'SERVER_BUSY', domain: DOMAIN, metadata: {} },
      retryInfo: { retryDelayMs: 1_000 },
    });

    // The grace (300 ms) runs out with the long stream still going: it ends with UNAVAILABLE.
    service.child.kill('SIGTERM');
    const ended = await within(rejectionOf(long), 5_000, 'the end of the long stream');
    expect(ended).toMatchObject({ code: status.UNAVAILABLE, details: 'server shutting down' });
    expect(errorDetailsOf(ended)).toEqual({
      errorInfo: { reason: 'SHUTTING_DOWN', domain: DOMAIN, metadata: {} },
      retryInfo: { retryDelayMs: 1_000 },
    });
  });
});
