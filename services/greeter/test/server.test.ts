import { hostname } from 'node:os';
import {
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { HealthClient } from '@repo/client-kit';
import { errorDetailsOf, Greeter } from '@repo/greeter-client';
import { createLogger, INSTANCE } from '@repo/server-kit';
import { LogSink, listenLocal, ReflectionClient, type Running } from '@repo/test-kit';
import { createGreeterServer } from '../src/server';

const INVALID_TEXT = 'name must be valid UTF-8 text without control characters';

let logs: LogSink;
let running: Running;
let greeter: Greeter;

beforeEach(async () => {
  logs = new LogSink();
  running = await listenLocal(
    createGreeterServer({ logger: createLogger({ name: 'greeter', level: 'info' }, logs) }),
  );
  greeter = new Greeter({ target: running.target });
});

afterEach(async () => {
  greeter.close();
  await running.stop();
});

/** The error a call rejected with; fails the test when the call succeeded. */
async function failure(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err: unknown) {
    return err as ServiceError;
  }
  throw new Error('the call succeeded');
}

describe('helloworld.Greeter/SayHello', () => {
  it('answers Hello Ada', async () => {
    const { message } = await greeter.sayHello('Ada', { timeoutMs: 5_000 });

    expect(message).toBe('Hello Ada');
  });

  it('says which instance served the call: this process', async () => {
    const { servedBy } = await greeter.sayHello('Ada', { timeoutMs: 5_000 });

    expect(servedBy).toBe(INSTANCE);
    expect(servedBy).toBe(`${hostname()}/${process.pid}`);
  });

  it('greets a name of 256 astral characters', async () => {
    const name = '😀'.repeat(256);

    expect((await greeter.sayHello(name, { timeoutMs: 5_000 })).message).toBe(`Hello ${name}`);
  });

  it.each([
    ['an empty name', '', 'name must not be empty'],
    ['a blank name', ' \t ', 'name must not be empty'],
    ['a 257-character name', 'x'.repeat(257), 'name must be at most 256 characters, got 257'],
    ['a name with a control character', 'Ada\u0007', INVALID_TEXT],
    ['a name with a newline', 'Ada\nLovelace', INVALID_TEXT],
  ])('returns INVALID_ARGUMENT for %s', async (_case, name, details) => {
    const err = await failure(greeter.sayHello(name, { timeoutMs: 5_000 }));

    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe(details);
  });

  it.each([
    ['an empty name', '', 'must not be empty', 'NAME_EMPTY'],
    ['a 257-character name', 'x'.repeat(257), 'must be at most 256 characters, got 257', 'NAME_TOO_LONG'],
    ['a name with a control character', 'Ada\u0007', INVALID_TEXT.slice('name '.length), 'NAME_INVALID_TEXT'],
  ])(
    'sends the error details of %s: the field, what is wrong, and the reason',
    async (_case, name, description, reason) => {
      const err = await failure(greeter.sayHello(name, { timeoutMs: 5_000 }));

      expect(errorDetailsOf(err)).toEqual({
        errorInfo: { reason, domain: 'helloworld.Greeter', metadata: {} },
        badRequest: { fieldViolations: [{ field: 'name', description }] },
      });
    },
  );

  it('logs a rejected call at warn level with the request id and the reason', async () => {
    await failure(greeter.sayHello('', { timeoutMs: 5_000, requestId: 'req-empty' }));

    expect(logs.find('call', (line) => line.requestId === 'req-empty')).toEqual([
      expect.objectContaining({
        level: 'warn',
        method: '/helloworld.Greeter/SayHello',
        code: 'INVALID_ARGUMENT',
        details: 'name must not be empty',
      }),
    ]);
  });

  it('keeps serving after rejecting a request', async () => {
    await failure(greeter.sayHello('', { timeoutMs: 5_000 }));

    expect((await greeter.sayHello('Grace', { timeoutMs: 5_000 })).message).toBe('Hello Grace');
  });
});

describe('a name that is not valid UTF-8 on the wire', () => {
  // A HelloRequest written by hand: field 1 (name), length 2, bytes 0xff 0xfe, which no UTF-8
  // encoder produces. The generated client cannot send it; a generic one can.
  const RawGreeter = makeGenericClientConstructor(
    {
      sayHello: {
        path: '/helloworld.Greeter/SayHello',
        requestStream: false,
        responseStream: false,
        requestSerialize: (bytes: Buffer) => bytes,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: (bytes: Buffer) => bytes,
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    },
    'helloworld.Greeter',
  );

  it('gets INVALID_ARGUMENT', async () => {
    const raw = new RawGreeter(running.target, credentials.createInsecure()) as unknown as {
      sayHello(
        request: Buffer,
        metadata: Metadata,
        options: { deadline: Date },
        callback: (err: ServiceError | null, reply?: Buffer) => void,
      ): unknown;
      close(): void;
    };
    try {
      const err = await new Promise<ServiceError | null>((resolve) =>
        raw.sayHello(
          Buffer.from([0x0a, 0x02, 0xff, 0xfe]),
          new Metadata(),
          { deadline: new Date(Date.now() + 5_000) },
          resolve,
        ),
      );

      expect(err?.code).toBe(status.INVALID_ARGUMENT);
      expect(err?.details).toBe(INVALID_TEXT);
    } finally {
      raw.close();
    }
  });
});

describe('deadlines and cancellation', () => {
  it('either answers or fails with DEADLINE_EXCEEDED under a 1 ms deadline', async () => {
    const outcome = await greeter.sayHello('Ada', { timeoutMs: 1 }).then(
      (greeting) => greeting.message,
      (err: ServiceError) => err.code,
    );

    expect(['Hello Ada', status.DEADLINE_EXCEEDED]).toContain(outcome);
  });

  it('returns CANCELLED when the signal was aborted before the call', async () => {
    const err = await failure(greeter.sayHello('Ada', { timeoutMs: 5_000, signal: AbortSignal.abort() }));

    expect(err.code).toBe(status.CANCELLED);
    expect(err.details).toBe('Cancelled on client');
  });

  it('returns CANCELLED when the signal aborts while the call is on its way', async () => {
    const controller = new AbortController();
    const call = greeter.sayHello('Ada', { timeoutMs: 5_000, signal: controller.signal });
    // The reply needs a round trip; the abort happens before this turn of the event loop ends.
    controller.abort();

    const err = await failure(call);
    expect(err.code).toBe(status.CANCELLED);
    expect(err.details).toBe('Cancelled on client');
  });
});

describe('what the Greeter server serves besides SayHello', () => {
  it("answers SERVING to a health check of '' and of helloworld.Greeter", async () => {
    const health = new HealthClient(running.target);
    try {
      expect(await health.check('', { timeoutMs: 5_000 })).toBe('SERVING');
      expect(await health.check('helloworld.Greeter', { timeoutMs: 5_000 })).toBe('SERVING');
    } finally {
      health.close();
    }
  });

  it('lists helloworld.Greeter and grpc.health.v1.Health through reflection', async () => {
    const reflection = new ReflectionClient(running.target);
    try {
      expect(await reflection.listServices()).toEqual(['grpc.health.v1.Health', 'helloworld.Greeter']);
    } finally {
      reflection.close();
    }
  });
});
