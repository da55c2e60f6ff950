import { connect } from 'node:http2';
import { status } from '@grpc/grpc-js';
import { errorDetailsOf, Greeter } from '@repo/greeter-client';
import { HelloReply, HelloRequest } from '@repo/proto';
import { createLogger } from '@repo/server-kit';
import {
  FaultRelay,
  grpcFrame,
  grpcMessagesOf,
  grpcRequestHeaders,
  LogSink,
  listenLocal,
  type Running,
  textOfWords,
  within,
} from '@repo/test-kit';
import { createGreeterServer } from '../src/server';

// What grpc-js 1.14 does with compression on each side, against the real Greeter server.
const SAY_HELLO = '/helloworld.Greeter/SayHello';

let running: Running;

beforeEach(async () => {
  running = await listenLocal(
    createGreeterServer({ logger: createLogger({ name: 'greeter', level: 'silent' }, new LogSink()) }),
  );
});

afterEach(async () => {
  await running.stop();
});

/** One SayHello through a byte-counting relay on a new connection: the reply and the request's bytes. */
async function sayHelloCounted(name: string, compression: 'identity' | 'gzip') {
  const relay = await FaultRelay.start(running.target);
  const greeter = new Greeter({ target: relay.target, compression });
  try {
    const reply = await greeter.sayHello(name, { timeoutMs: 5_000 }).catch((err: unknown) => err);
    return { reply, up: relay.bytesToTarget };
  } finally {
    greeter.close();
    await relay.close();
  }
}

describe('a Greeter client that compresses its requests', () => {
  it('is answered as before', async () => {
    const name = 'Ada Lovelace, Countess of Lovelace';
    const { reply } = await sayHelloCounted(name, 'gzip');

    expect(reply).toMatchObject({ message: `Hello ${name}` });
  });

  it('sends a 64 KiB name in under 40% of its bytes, which the server inflates whole before it validates', async () => {
    const name = textOfWords(64 * 1024);
    const plain = await sayHelloCounted(name, 'identity');
    const gzip = await sayHelloCounted(name, 'gzip');

    for (const { reply } of [plain, gzip]) {
      expect(reply).toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: 'name must be at most 256 characters, got 65536',
      });
      expect(errorDetailsOf(reply)?.errorInfo?.reason).toBe('NAME_TOO_LONG');
    }
    expect(gzip.up).toBeLessThan(0.4 * plain.up);
  });
});

describe('the responses of a grpc-js server', () => {
  it('are never compressed, even to a client that accepts gzip: grpc-js 1.14 cannot compress them', async () => {
    const session = connect(`http://${running.target}`);
    try {
      const stream = session.request(
        grpcRequestHeaders(SAY_HELLO, { 'grpc-accept-encoding': 'gzip', 'grpc-encoding': 'identity' }),
      );
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      const headers = new Promise<Record<string, unknown>>((resolve) => stream.once('response', resolve));
      stream.end(grpcFrame(HelloRequest.encode({ name: 'a'.repeat(200) }).finish()));
      const response = await within(headers, 5_000, 'the response headers');
      await within(new Promise((resolve) => stream.once('close', resolve)), 5_000, 'the end of the stream');

      // It says which encodings it can read, and that it sends identity.
      expect(response['grpc-accept-encoding']).toBe('identity,deflate,gzip');
      expect(response['grpc-encoding']).toBe('identity');
      const body = Buffer.concat(chunks);
      expect(body[0]).toBe(0); // The Compressed-Flag of the one message.
      const [reply] = grpcMessagesOf(body);
      expect(HelloReply.decode(reply ?? Buffer.alloc(0)).message).toBe(`Hello ${'a'.repeat(200)}`);
    } finally {
      session.close();
    }
  });
});
