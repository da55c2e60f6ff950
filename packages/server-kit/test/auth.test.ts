import { constants as http2 } from 'node:http2';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { HealthClient } from '@repo/client-kit';
import {
  GreeterClient,
  type GreeterServer,
  GreeterService,
  HelloRequest,
  StreamServiceClient as StreamServiceGrpcClient,
  type StreamServiceServer,
  StreamServiceService,
} from '@repo/proto';
import {
  grpcFrame,
  grpcRequestHeaders,
  LogSink,
  type RawOutcome,
  ReflectionClient,
  rawGrpcCall,
  within,
} from '@repo/test-kit';
import { errorDetailsOf } from '@repo/wire';
import { ConfigError, createLogger, createServer, type GrpcServer, readServerConfig } from '../src';
import { createAuthInterceptor, UNAUTHENTICATED_DETAILS } from '../src/auth';
import { deadlineIn } from './support/timing';

const TOKEN = 'test-token-7f3a9c2e5b1d4068';
const SAY_HELLO = '/helloworld.Greeter/SayHello';

/** What the handlers saw: how often each ran, and the metadata of the last SayHello. */
interface Seen {
  sayHello: number;
  streams: number;
  metadata: Metadata | undefined;
}

interface Running {
  server: GrpcServer;
  logs: LogSink;
  target: string;
  seen: Seen;
  greeter: InstanceType<typeof GreeterClient>;
}

let running: Running;

async function start(authToken: string | undefined): Promise<Running> {
  const seen: Seen = { sayHello: 0, streams: 0, metadata: undefined };
  const greeterImpl: GreeterServer = {
    sayHello(call, callback) {
      seen.sayHello++;
      seen.metadata = call.metadata;
      callback(null, { message: `Hello ${call.request.name}` });
    },
  };
  const streamImpl: StreamServiceServer = {
    getStream(call) {
      seen.streams++;
      call.end();
    },
    putStream(_call, callback) {
      seen.streams++;
      callback(null, { count: 0, bytes: 0, preview: '' });
    },
    allStream(call) {
      seen.streams++;
      call.end();
    },
  };
  const logs = new LogSink();
  const server = createServer({
    logger: createLogger({ name: 'test', level: 'debug' }, logs),
    services: [
      { definition: GreeterService, implementation: greeterImpl },
      { definition: StreamServiceService, implementation: streamImpl },
    ],
    ...(authToken === undefined ? {} : { authToken }),
  });
  const port = await server.listen('127.0.0.1', 0);
  const target = `127.0.0.1:${port}`;
  return { server, logs, target, seen, greeter: new GreeterClient(target, credentials.createInsecure()) };
}

function withAuthorization(value: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', value);
  return metadata;
}

function bearer(token: string): Metadata {
  return withAuthorization(`Bearer ${token}`);
}

/** SayHello with this metadata and a 5 s deadline; resolves with the error or the reply. */
function sayHello(metadata = new Metadata()): Promise<{ error: ServiceError | null; message?: string }> {
  metadata.set('x-request-id', 'req-auth');
  return new Promise((resolve) => {
    running.greeter.sayHello({ name: 'Ada' }, metadata, { deadline: deadlineIn(5_000) }, (error, reply) =>
      resolve({ error, message: reply?.message }),
    );
  });
}

/** Gives each test of the enclosing describe its own server, shut down after it. */
function serveEachTest(authToken: string | undefined): void {
  beforeEach(async () => {
    running = await start(authToken);
  });
  afterEach(async () => {
    running.greeter.close();
    await running.server.shutdown(500);
  });
}

describe('a server started with a bearer token', () => {
  serveEachTest(TOKEN);

  it('rejects a call without a token with UNAUTHENTICATED, and never runs the handler', async () => {
    const { error } = await sayHello();

    expect(error?.code).toBe(status.UNAUTHENTICATED);
    expect(error?.details).toBe(UNAUTHENTICATED_DETAILS);
    expect(errorDetailsOf(error)?.errorInfo).toEqual({
      reason: 'TOKEN_INVALID',
      domain: 'helloworld.Greeter',
      metadata: {},
    });
    expect(running.seen.sayHello).toBe(0);
  });

  it.each([
    ['of the same length', `${TOKEN.slice(0, -1)}X`],
    ['one character shorter', TOKEN.slice(0, -1)],
    ['one character longer', `${TOKEN}0`],
    ['much longer', TOKEN.repeat(8)],
  ])('rejects a wrong token %s with UNAUTHENTICATED', async (_case, wrong) => {
    const { error } = await sayHello(bearer(wrong));

    expect(error?.code).toBe(status.UNAUTHENTICATED);
    expect(error?.details).toBe(UNAUTHENTICATED_DETAILS);
    expect(running.seen.sayHello).toBe(0);
  });

  it.each([
    ['another scheme', `Basic ${TOKEN}`],
    ['no scheme', TOKEN],
    ['the scheme alone', 'Bearer '],
    ['something after the token', `Bearer ${TOKEN} ${TOKEN}`],
    // Node's HTTP/2 sends one authorization field at most: two values arrive joined by a comma.
    ['two tokens joined by a comma', `Bearer ${TOKEN}, Bearer ${TOKEN}`],
  ])('rejects an authorization header with %s', async (_case, value) => {
    const { error } = await sayHello(withAuthorization(value));

    expect(error?.code).toBe(status.UNAUTHENTICATED);
    expect(running.seen.sayHello).toBe(0);
  });

  it('runs a call with the right token, and hides the token from the handler', async () => {
    const { error, message } = await sayHello(bearer(TOKEN));

    expect(error).toBeNull();
    expect(message).toBe('Hello Ada');
    expect(running.seen.sayHello).toBe(1);
    expect(running.seen.metadata?.get('authorization')).toEqual([]);
    expect(running.seen.metadata?.get('x-request-id')).toEqual(['req-auth']);
  });

  it('accepts the scheme in any case, as HTTP does', async () => {
    const { error } = await sayHello(withAuthorization(`bearer ${TOKEN}`));

    expect(error).toBeNull();
  });

  it('rejects streaming calls without a token before their handlers start', async () => {
    const client = new StreamServiceGrpcClient(running.target, credentials.createInsecure());
    try {
      const options = { deadline: deadlineIn(5_000) };
      const ended = (call: NodeJS.EventEmitter) =>
        within(
          new Promise<ServiceError>((resolve) => call.on('error', resolve)),
          5_000,
          'the status of a stream',
        );
      const get = client.getStream({ text: 'x', count: 1, intervalMs: 0, payloadBytes: 0 }, options);
      const all = client.allStream(options);
      all.write({ name: 'Ada' });

      expect((await ended(get)).code).toBe(status.UNAUTHENTICATED);
      expect((await ended(all)).code).toBe(status.UNAUTHENTICATED);
      expect(running.seen.streams).toBe(0);
    } finally {
      client.close();
    }
  });

  it('logs a rejected call with code UNAUTHENTICATED, and returns its request id', async () => {
    const { error } = await sayHello();

    expect(error?.metadata.get('x-request-id')).toEqual(['req-auth']);
    expect(running.logs.find('call')).toEqual([
      expect.objectContaining({
        level: 'warn',
        requestId: 'req-auth',
        method: SAY_HELLO,
        code: 'UNAUTHENTICATED',
        details: UNAUTHENTICATED_DETAILS,
      }),
    ]);
  });

  it('never writes the token, right or wrong, into the log', async () => {
    const wrong = `${TOKEN.slice(0, -1)}X`;
    await sayHello(bearer(TOKEN));
    await sayHello(bearer(wrong));
    await sayHello();

    const logged = JSON.stringify(running.logs.lines);
    expect(running.logs.find('call')).toHaveLength(3);
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(wrong);
    expect(logged).not.toContain(TOKEN.slice(0, 12));
  });

  it('answers health Check and Watch without a token', async () => {
    const health = new HealthClient(running.target);
    try {
      expect(await health.check('', { timeoutMs: 5_000 })).toBe('SERVING');
      const controller = new AbortController();
      const watch = health.watch('helloworld.Greeter', { signal: controller.signal, timeoutMs: 5_000 });
      expect((await within(watch.next(), 5_000, 'the first Watch status')).value).toBe('SERVING');
      controller.abort();
      await watch.return(undefined);
    } finally {
      health.close();
    }
  });

  it.each(['v1', 'v1alpha'] as const)('answers reflection %s without a token', async (version) => {
    const reflection = new ReflectionClient(running.target, version);
    try {
      expect(await reflection.listServices()).toEqual([
        'grpc.health.v1.Health',
        'helloworld.Greeter',
        'stream.v1.StreamService',
      ]);
    } finally {
      reflection.close();
    }
  });

  describe('reached through a variant of the method path', () => {
    const body = grpcFrame(HelloRequest.encode({ name: 'Ada' }).finish());
    const call = (path: string, headers = {}): Promise<RawOutcome> =>
      rawGrpcCall(running.target, { headers: grpcRequestHeaders(path, headers), body });

    it.each([
      '//helloworld.Greeter/SayHello',
      '/HelloWorld.Greeter/SayHello',
      '/helloworld.Greeter/SayHello/',
      '/helloworld.greeter/sayhello',
      '/grpc.health.v1.Health/../../helloworld.Greeter/SayHello',
    ])('answers %s with UNIMPLEMENTED, token or not, and never runs the handler', async (path) => {
      for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }]) {
        const outcome = await call(path, headers);

        expect(outcome.grpcStatus).toBe(status.UNIMPLEMENTED);
      }
      expect(running.seen.sayHello).toBe(0);
      expect((await sayHello(bearer(TOKEN))).error).toBeNull();
    });

    it('has a path without its leading slash reset by HTTP/2, before any handler', async () => {
      const outcome = await call('helloworld.Greeter/SayHello');

      expect(outcome.grpcStatus).toBeUndefined();
      expect(outcome.rstCode).toBe(http2.NGHTTP2_PROTOCOL_ERROR);
      expect(running.seen.sayHello).toBe(0);
      expect((await sayHello(bearer(TOKEN))).error).toBeNull();
    });

    it('answers the exact path UNAUTHENTICATED without a token and OK with it', async () => {
      const without = await call(SAY_HELLO);
      const withToken = await call(SAY_HELLO, {
        authorization: `Bearer ${TOKEN}`,
      });

      expect(without.grpcStatus).toBe(status.UNAUTHENTICATED);
      expect(withToken.grpcStatus).toBe(status.OK);
      expect(running.seen.sayHello).toBe(1);
    });
  });
});

describe('a server started without a token', () => {
  serveEachTest(undefined);

  it('runs every call, with or without an authorization header', async () => {
    expect((await sayHello()).error).toBeNull();
    expect((await sayHello(bearer('anything-at-all-0000'))).error).toBeNull();
    expect(running.seen.sayHello).toBe(2);
  });
});

describe('AUTH_TOKEN', () => {
  const read = (value?: string) =>
    readServerConfig(value === undefined ? {} : { AUTH_TOKEN: value }, { port: 50051, metricsPort: 0 });

  it('is unset by default, and so is authentication', () => {
    expect(read().authToken).toBeUndefined();
    expect(read('  ').authToken).toBeUndefined();
  });

  it('is read when it has 16 visible characters or more', () => {
    expect(read('0123456789abcdef').authToken).toBe('0123456789abcdef');
    expect(read(TOKEN).authToken).toBe(TOKEN);
  });

  it.each([
    ['too short', 'hunter2-secret'],
    ['15 characters', '0123456789abcde'],
    ['a space inside', 'correct horse battery staple'],
    ['a non-ASCII character', 'pässwörd-0123456789'],
  ])('is refused with a ConfigError that names it but not its value, when %s', (_case, value) => {
    const error = (() => {
      try {
        read(value);
      } catch (err: unknown) {
        return err;
      }
      throw new Error('expected a ConfigError');
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('AUTH_TOKEN');
    expect((error as Error).message).not.toContain(value);
    expect((error as Error).message).not.toContain(value.slice(0, 6));
  });

  it('is also checked by createAuthInterceptor, whose error does not show it', () => {
    expect(() => createAuthInterceptor('hunter2-secret')).toThrow(/at least 16 characters/);
    expect(() => createAuthInterceptor('hunter2-secret')).not.toThrow(/hunter2/);
  });
});
