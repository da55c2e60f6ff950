import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { GreeterService, StreamServiceClient, StreamServiceService } from '@repo/proto';
import { within } from '@repo/test-kit';
import { decodeRpcStatus, errorDetailsOf, STATUS_DETAILS_HEADER } from '@repo/wire';
import { INTERNAL_DETAILS } from '../src/errors';
import { createGreeterClient, type Greeter, sayHello } from './support/calls';
import { startServer, type TestServer } from './support/servers';
import {
  createTestGreeter,
  createTestStreamService,
  SECRET,
  SECRET_ERROR_MESSAGE,
} from './support/test-services';
import { deadlineIn } from './support/timing';

type StreamClient = InstanceType<typeof StreamServiceClient>;

let running: TestServer;
let greeter: Greeter;
let streams: StreamClient;

beforeEach(async () => {
  running = await startServer([
    { definition: GreeterService, implementation: createTestGreeter() },
    { definition: StreamServiceService, implementation: createTestStreamService() },
  ]);
  greeter = createGreeterClient(running.target);
  streams = new StreamServiceClient(running.target, credentials.createInsecure());
});

afterEach(async () => {
  greeter.close();
  streams.close();
  await running.server.shutdown(1_000);
});

/** The 'handler failed' lines logged for the call with this request id. */
function failuresOf(requestId: string) {
  return running.logs.find('handler failed', (line) => line.requestId === requestId);
}

/** Everything the client received about a failed call, as text: details and metadata. */
function everythingSent(error: ServiceError | null): string {
  return JSON.stringify({ message: error?.message, details: error?.details, metadata: error?.metadata });
}

describe('a guarded unary handler', () => {
  it.each([
    ['throws synchronously', 'throw'],
    ['returns a rejected promise', 'reject'],
    ['passes a plain Error to its callback', 'callback-error'],
  ])('that %s answers INTERNAL with a generic message, never the cause', async (_case, name) => {
    const { error, reply } = await sayHello(greeter, name, { requestId: `req-${name}` });

    expect(reply).toBeUndefined();
    expect(error?.code).toBe(status.INTERNAL);
    expect(error?.details).toBe(INTERNAL_DETAILS);
    expect(error?.details).toBe('Internal server error');
    expect(everythingSent(error)).not.toContain(SECRET);
    expect(errorDetailsOf(error)).toEqual({
      errorInfo: { reason: 'INTERNAL', domain: 'helloworld.Greeter', metadata: {} },
    });
  });

  it.each(['throw', 'reject', 'callback-error'])(
    'logs the cause of a %s failure with the request id and the method',
    async (name) => {
      await sayHello(greeter, name, { requestId: `req-${name}` });

      const [failure, ...more] = failuresOf(`req-${name}`);
      expect(more).toHaveLength(0);
      expect(failure).toMatchObject({
        level: 'error',
        requestId: `req-${name}`,
        method: '/helloworld.Greeter/SayHello',
        err: { type: 'Error', message: SECRET_ERROR_MESSAGE },
      });
    },
  );

  it.each(['throw', 'reject', 'callback-error'])(
    'keeps serving after a handler failed with %s',
    async (name) => {
      await sayHello(greeter, name);
      const { error, reply } = await sayHello(greeter, 'Ada');

      expect(error).toBeNull();
      expect(reply).toEqual({ message: 'Hello Ada' });
    },
  );

  it.each([
    ['thrown', 'status-error', status.NOT_FOUND, 'no greeting for ghost'],
    ['rejected', 'rejected-status-error', status.RESOURCE_EXHAUSTED, 'too many greetings today'],
    ['passed to the callback', 'callback-status-error', status.FAILED_PRECONDITION, 'the greeter is resting'],
  ])('sends a StatusError %s as its own code and details', async (_case, name, code, details) => {
    const { error } = await sayHello(greeter, name, { requestId: `req-${name}` });

    expect(error?.code).toBe(code);
    expect(error?.details).toBe(details);
    // Its google.rpc.Status: without a reason of its own, the reason is the code's name.
    const trailer = error?.metadata.get(STATUS_DETAILS_HEADER)[0];
    expect(decodeRpcStatus(trailer as Buffer)).toEqual({
      code,
      message: details,
      details: { errorInfo: { reason: status[code], domain: 'helloworld.Greeter', metadata: {} } },
    });
    // A StatusError is meant for the client: it is not a server fault to log as one.
    expect(failuresOf(`req-${name}`)).toHaveLength(0);
  });

  it('treats a status-shaped object that is not a StatusError as an unknown failure', async () => {
    const { error } = await sayHello(greeter, 'status-object', { requestId: 'req-object' });

    expect(error?.code).toBe(status.INTERNAL);
    expect(error?.details).toBe('Internal server error');
    expect(everythingSent(error)).not.toContain(SECRET);
    expect(failuresOf('req-object')).toHaveLength(1);
  });

  it('keeps the first answer when the handler fails after answering', async () => {
    const { error, reply } = await sayHello(greeter, 'error-after-answer', { requestId: 'req-late' });

    expect(error).toBeNull();
    expect(reply).toEqual({ message: 'Hello again' });
    expect(failuresOf('req-late')).toHaveLength(0);
    expect(running.logs.find('error after the call ended', (line) => line.requestId === 'req-late')).toEqual([
      expect.objectContaining({
        level: 'debug',
        err: expect.objectContaining({ message: SECRET_ERROR_MESSAGE }),
      }),
    ]);
  });
});

/** Reads a server stream to its end: the messages' texts and the final status. */
function readGetStream(text: string, requestId: string) {
  const metadata = new Metadata();
  metadata.set('x-request-id', requestId);
  const call = streams.getStream({ text, count: 2, intervalMs: 0, payloadBytes: 0 }, metadata, {
    deadline: deadlineIn(5_000),
  });
  const texts: string[] = [];
  call.on('data', (message: { text: string }) => texts.push(message.text));
  return within(
    new Promise<{ texts: string[]; error: ServiceError | null }>((resolve) => {
      call.on('error', (error: ServiceError) => resolve({ texts, error }));
      call.on('end', () => resolve({ texts, error: null }));
    }),
    5_000,
    'GetStream',
  );
}

describe('a guarded streaming handler', () => {
  it.each([
    ['throws synchronously', 'throw', []],
    ['rejects', 'reject', []],
    ['rejects after writing a message', 'write-then-reject', ['write-then-reject']],
  ])('that %s ends the stream with INTERNAL and a generic message', async (_case, text, texts) => {
    const result = await readGetStream(text, `req-stream-${text}`);

    expect(result.texts).toEqual(texts);
    expect(result.error?.code).toBe(status.INTERNAL);
    expect(result.error?.details).toBe('Internal server error');
    expect(everythingSent(result.error)).not.toContain(SECRET);
    expect(failuresOf(`req-stream-${text}`)).toEqual([
      expect.objectContaining({
        method: '/stream.v1.StreamService/GetStream',
        err: expect.objectContaining({ message: SECRET_ERROR_MESSAGE }),
      }),
    ]);
  });

  it('ends a server stream with the code and details of a StatusError', async () => {
    const result = await readGetStream('status-error', 'req-stream-status');

    expect(result.error?.code).toBe(status.OUT_OF_RANGE);
    expect(result.error?.details).toBe('count must be at most 10');
  });

  it('streams normally when the handler succeeds, after another stream failed', async () => {
    await readGetStream('reject', 'req-first');

    expect(await readGetStream('fine', 'req-second')).toEqual({ texts: ['fine', 'fine'], error: null });
  });

  it('answers INTERNAL when a client-streaming handler rejects', async () => {
    const error = await within(
      new Promise<ServiceError | null>((resolve) => {
        const call = streams.putStream({ deadline: deadlineIn(5_000) }, (err) => resolve(err));
        call.write({ text: 'boom' });
        call.end();
      }),
      5_000,
      'PutStream',
    );

    expect(error?.code).toBe(status.INTERNAL);
    expect(error?.details).toBe('Internal server error');
    expect(everythingSent(error)).not.toContain(SECRET);
  });

  it('still sends the status when a client-streaming handler stops reading early', async () => {
    // The client never half-closes: the handler's answer must reach it regardless.
    const error = await within(
      new Promise<ServiceError | null>((resolve) => {
        const call = streams.putStream({ deadline: deadlineIn(5_000) }, (err) => resolve(err));
        call.write({ text: 'good' });
        call.write({ text: 'bad' });
      }),
      5_000,
      'PutStream',
    );

    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toBe('text must not be "bad"');
  });

  /** Writes `names` on an AllStream without half-closing; resolves with the replies and the error. */
  function allStream(names: string[]) {
    const call = streams.allStream({ deadline: deadlineIn(3_000) });
    const replies: string[] = [];
    call.on('data', (reply: { message: string }) => replies.push(reply.message));
    for (const name of names) call.write({ name });
    return within(
      new Promise<{ replies: string[]; error: ServiceError }>((resolve) =>
        call.on('error', (error: ServiceError) => resolve({ replies, error })),
      ),
      5_000,
      'AllStream',
    );
  }

  it('ends a bidirectional stream whose handler rejects with INTERNAL', async () => {
    const { replies, error } = await allStream(['Ada', 'boom']);

    expect(replies).toEqual(['Hello Ada']);
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toBe('Internal server error');
    expect(everythingSent(error)).not.toContain(SECRET);
  });

  it('ends a bidirectional stream with the StatusError of a handler that stopped reading early', async () => {
    // The handler leaves its for-await loop while the client is still sending: the status must
    // still reach the client, well before the call's deadline.
    const { replies, error } = await allStream(['Ada', 'bad']);

    expect(replies).toEqual(['Hello Ada']);
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe('name must not be "bad"');
    expect(errorDetailsOf(error)).toEqual({
      errorInfo: { reason: 'NAME_BAD', domain: 'stream.v1.StreamService', metadata: {} },
      badRequest: { fieldViolations: [{ field: 'name', description: 'must not be "bad"' }] },
    });
  });
});
