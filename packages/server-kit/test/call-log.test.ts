import { hostname } from 'node:os';
import { status } from '@grpc/grpc-js';
import { HealthClient } from '@repo/client-kit';
import { GreeterService } from '@repo/proto';
import { grpcFrame, grpcRequestHeaders, rawGrpcCall, waitFor } from '@repo/test-kit';
import { INSTANCE } from '../src';
import { createGreeterClient, type Greeter, sayHello } from './support/calls';
import { startServer, type TestServer } from './support/servers';
import { createTestGreeter } from './support/test-services';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SAY_HELLO = '/helloworld.Greeter/SayHello';

let running: TestServer;
let greeter: Greeter;

beforeEach(async () => {
  running = await startServer([{ definition: GreeterService, implementation: createTestGreeter() }]);
  greeter = createGreeterClient(running.target);
});

afterEach(async () => {
  greeter.close();
  await running.server.shutdown(1_000);
});

function callLines() {
  return running.logs.find('call');
}

describe('the call log', () => {
  it('logs one line for a call, with the request id the client sent (debug: it was fast and OK)', async () => {
    await sayHello(greeter, 'Ada', { requestId: 'req-ada-1' });

    expect(callLines()).toHaveLength(1);
    const [line] = callLines();
    expect(line).toEqual(
      expect.objectContaining({
        level: 'debug',
        requestId: 'req-ada-1',
        method: SAY_HELLO,
        code: 'OK',
        instance: INSTANCE,
      }),
    );
    expect(line).not.toHaveProperty('details');
    expect(typeof line?.durationMs).toBe('number');
    expect(line?.durationMs).toBeGreaterThanOrEqual(0);
    expect(line?.durationMs).toBeLessThan(5_000);
  });

  it('logs a generated UUID as the request id when the client sent none', async () => {
    const { headers } = await sayHello(greeter, 'Ada');

    const [line] = callLines();
    expect(line?.requestId).toEqual(expect.stringMatching(UUID));
    expect(headers?.get('x-request-id')).toEqual([line?.requestId]);
  });

  it('replaces a request id that is not a sane token, in the log and in the response', async () => {
    const { headers } = await sayHello(greeter, 'Ada', { requestId: 'not a token; DROP TABLE' });

    const [line] = callLines();
    expect(line?.requestId).toEqual(expect.stringMatching(UUID));
    expect(headers?.get('x-request-id')).toEqual([line?.requestId]);
  });

  it('logs a line per call, each with its own request id', async () => {
    await sayHello(greeter, 'Ada', { requestId: 'req-a' });
    await sayHello(greeter, 'Grace', { requestId: 'req-b' });
    await sayHello(greeter, 'Linus');

    const ids = callLines().map((line) => line.requestId);
    expect(ids).toHaveLength(3);
    expect(ids.slice(0, 2)).toEqual(['req-a', 'req-b']);
    expect(new Set(ids).size).toBe(3);
  });

  it('logs a server fault at error level with its code name and the generic details', async () => {
    await sayHello(greeter, 'throw', { requestId: 'req-fault' });

    expect(callLines()).toEqual([
      expect.objectContaining({
        level: 'error',
        requestId: 'req-fault',
        method: SAY_HELLO,
        code: 'INTERNAL',
        details: 'Internal server error',
      }),
    ]);
  });

  it('logs a client error at warn level with its code name and details', async () => {
    await sayHello(greeter, 'status-error', { requestId: 'req-missing' });

    expect(callLines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        requestId: 'req-missing',
        code: 'NOT_FOUND',
        details: 'no greeting for ghost',
      }),
    ]);
  });

  it('logs a unary call that ends without its request message at warn level: the client’s doing', async () => {
    // What a client that resets its stream at once looks like to grpc-js: UNIMPLEMENTED, "Received
    // no request message". A flood of them must not read as server faults.
    const outcome = await rawGrpcCall(running.target, { headers: grpcRequestHeaders(SAY_HELLO), body: null });
    expect(outcome.grpcStatus).toBe(status.UNIMPLEMENTED);
    expect(callLines()).toEqual([
      expect.objectContaining({ level: 'warn', method: SAY_HELLO, code: 'UNIMPLEMENTED' }),
    ]);
  });

  it.each([
    ['a request it cannot decode', Buffer.from([0x0e]), 'INTERNAL', 'error', 'Error deserializing request'],
    [
      'a request over the receive limit',
      Buffer.alloc(100, 0x41),
      'RESOURCE_EXHAUSTED',
      'warn',
      'Received message larger than max (100 vs 64)',
    ],
  ])(
    'logs %s under the code grpc-js answers it with, not as a cancellation',
    async (_what, message, code, level, details) => {
      const limited = await startServer(
        [{ definition: GreeterService, implementation: createTestGreeter() }],
        {
          limits: { maxReceiveMessageBytes: 64 },
        },
      );
      try {
        await rawGrpcCall(limited.target, {
          headers: grpcRequestHeaders(SAY_HELLO),
          body: grpcFrame(message),
        });
        await waitFor('the call line', () => limited.logs.find('call').length > 0, 2_000);
        expect(limited.logs.find('call')).toEqual([
          expect.objectContaining({ level, method: SAY_HELLO, code, details }),
        ]);
      } finally {
        await limited.server.shutdown(1_000);
      }
    },
  );

  it('logs DEADLINE_EXCEEDED once for a call whose deadline passed in the handler', async () => {
    const { error } = await sayHello(greeter, 'slow', { requestId: 'req-late', timeoutMs: 50 });

    expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
    // The server notices the deadline on its own clock: wait for its line, boundedly.
    for (let i = 0; i < 50 && callLines().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(callLines()).toEqual([
      expect.objectContaining({ level: 'warn', requestId: 'req-late', code: 'DEADLINE_EXCEEDED' }),
    ]);
  });

  it('logs a successful unary call slower than slowCallMs at info', async () => {
    const slowAt100 = await startServer(
      [{ definition: GreeterService, implementation: createTestGreeter() }],
      {
        slowCallMs: 100,
      },
    );
    const client = createGreeterClient(slowAt100.target);
    try {
      await sayHello(client, 'slow', { requestId: 'req-slow' }); // 200 ms
      await sayHello(client, 'Ada', { requestId: 'req-fast' });
    } finally {
      client.close();
      await slowAt100.server.shutdown(1_000);
    }

    const levels = Object.fromEntries(
      slowAt100.logs.find('call').map((line) => [line.requestId, line.level]),
    );
    expect(levels).toEqual({ 'req-slow': 'info', 'req-fast': 'debug' });
  });

  it('logs a successful health Check at debug level, so that probes do not flood the log', async () => {
    const health = new HealthClient(running.target);
    try {
      await health.check('', { requestId: 'req-health', timeoutMs: 5_000 });
    } finally {
      health.close();
    }

    expect(callLines()).toEqual([
      expect.objectContaining({
        level: 'debug',
        requestId: 'req-health',
        method: '/grpc.health.v1.Health/Check',
        code: 'OK',
      }),
    ]);
  });
});

describe('the response headers', () => {
  it('carry the request id the client sent and the serving instance', async () => {
    const { headers } = await sayHello(greeter, 'Ada', { requestId: 'req-headers' });

    expect(headers?.get('x-request-id')).toEqual(['req-headers']);
    expect(headers?.get('x-served-by')).toEqual([`${hostname()}/${process.pid}`]);
  });

  it('carry the request id and the serving instance on a failed call too', async () => {
    const { error } = await sayHello(greeter, 'throw', { requestId: 'req-failed' });

    // A failed unary call has no separate headers: they arrive with the status.
    expect(error?.metadata.get('x-request-id')).toEqual(['req-failed']);
    expect(error?.metadata.get('x-served-by')).toEqual([INSTANCE]);
  });
});
