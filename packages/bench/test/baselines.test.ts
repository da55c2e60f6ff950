import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  type GetStreamRequest,
  GreeterClient,
  type HelloReply,
  type PutStreamResponse,
  StreamServiceClient,
} from '@repo/proto';
import { PutSummary } from '@repo/stream/dist/put-stream';
import { drain } from '@repo/test-kit';
import { createPutSummary } from '../src/baselines/put-summary';
import { bytesField, decodeFirstFrame, grpcFrame, varintField } from '../src/baselines/wire';
import { type RunningServer, startServer } from '../src/servers';

function sayHello(client: GreeterClient, name: string): Promise<HelloReply> {
  return new Promise((resolve, reject) => {
    client.sayHello({ name }, new Metadata(), { deadline: Date.now() + 5_000 }, (err, reply) =>
      err ? reject(err) : resolve(reply),
    );
  });
}

function getStream(client: StreamServiceClient, request: Partial<GetStreamRequest>) {
  const full = { text: 'x', count: 1, intervalMs: 0, payloadBytes: 0, ...request };
  return drain(client.getStream(full, { deadline: Date.now() + 10_000 }));
}

function putStream(client: StreamServiceClient, texts: string[]): Promise<PutStreamResponse> {
  return new Promise((resolve, reject) => {
    const call = client.putStream((err, summary) => (err ? reject(err) : resolve(summary)));
    for (const text of texts) call.write({ text });
    call.end();
  });
}

/** Starts `name` before the tests of the enclosing describe, with a client of each service; stops it after. */
function serve(name: 'tutorial' | 'ceiling') {
  const clients = {} as { server: RunningServer; greeter: GreeterClient; stream: StreamServiceClient };
  beforeAll(async () => {
    clients.server = await startServer(name);
    clients.greeter = new GreeterClient(clients.server.target, credentials.createInsecure());
    clients.stream = new StreamServiceClient(clients.server.target, credentials.createInsecure());
  });
  afterAll(async () => {
    clients.greeter.close();
    clients.stream.close();
    await clients.server.stop();
  });
  return clients;
}

/** The GetStream tests both baselines pass. */
function itServesGetStream(clients: { stream: StreamServiceClient }) {
  it('streams count messages with their index, the text and payload_bytes of filler', async () => {
    const { received, error } = await getStream(clients.stream, { text: 'hi', count: 3, payloadBytes: 4 });
    expect(error).toBeUndefined();
    expect(received).toEqual([1, 2, 3].map((index) => ({ index, text: 'hi', payload: Buffer.from('....') })));
  });

  it('delivers every message of a stream larger than the transport buffers, in order', async () => {
    // 32 MiB: write() returns false long before the end, so the handler has waited for 'drain'.
    const { received, error } = await getStream(clients.stream, { count: 32, payloadBytes: 1024 * 1024 });
    expect(error).toBeUndefined();
    expect(received.map(({ index }) => index)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(received.every(({ payload }) => payload.length === 1024 * 1024)).toBe(true);
  });
}

describe('the tutorial server', () => {
  const clients = serve('tutorial');

  it('greets a name the way helloworld servers do', async () => {
    await expect(sayHello(clients.greeter, 'Ada')).resolves.toEqual({ message: 'Hello Ada' });
  });

  itServesGetStream(clients);

  it('summarises an upload with the count, the UTF-8 bytes and a preview like our service', async () => {
    const texts = ['one', 'two', 'three', 'four', 'a text much longer than twenty-four characters'];
    await expect(putStream(clients.stream, texts)).resolves.toEqual({
      count: 5,
      bytes: texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0),
      preview: 'one, two, three, …, a text much longer than…',
    });
  });

  it('greets every name of a bidirectional stream itself, naming its process', async () => {
    const call = clients.stream.allStream({ deadline: Date.now() + 5_000 });
    call.write({ name: 'Ada' });
    call.write({ name: 'Grace' });
    call.end();
    const { received, error } = await drain(call);
    expect(error).toBeUndefined();
    expect(received.map(({ message }) => message)).toEqual(['Hello Ada', 'Hello Grace']);
    expect(received[0]?.servedBy).toMatch(new RegExp(`/${clients.server.pid}$`));
  });
});

describe("the tutorial server's upload summary", () => {
  it.each([
    [[]],
    [['a']],
    [['a', 'b', 'c', 'd']],
    [['a', 'b', 'c', 'd', 'e', 'f']],
    [['é'.repeat(30), '😀'.repeat(25), '', 'x'.repeat(24), 'y'.repeat(25)]],
  ])('answers what our PutSummary answers for %j', (texts: string[]) => {
    const ours = new PutSummary();
    const tutorial = createPutSummary();
    for (const text of texts) {
      ours.add(text);
      tutorial.add(text);
    }
    expect(tutorial.result()).toEqual(ours.result());
  });
});

describe('the ceiling server', () => {
  const clients = serve('ceiling');

  it('answers SayHello with a HelloReply that grpc-js decodes, whatever the name', async () => {
    await expect(sayHello(clients.greeter, 'world')).resolves.toEqual({ message: 'Hello world' });
    await expect(sayHello(clients.greeter, 'Ada')).resolves.toEqual({ message: 'Hello world' });
  });

  itServesGetStream(clients);

  it('answers UNIMPLEMENTED for a method it does not serve', async () => {
    const err = await putStream(clients.stream, ['a']).catch((e: ServiceError) => e);
    expect(err).toMatchObject({ code: status.UNIMPLEMENTED });
  });
});

describe('the hand-written wire format', () => {
  it('encodes fields that decode back to the same values, multi-byte varints included', () => {
    const message = Buffer.concat([varintField(2, 300), varintField(4, 2 ** 40), bytesField(1, 'héllo')]);
    const decoded = decodeFirstFrame(grpcFrame(message));
    expect(decoded.varints).toEqual(
      new Map([
        [2, 300],
        [4, 2 ** 40],
      ]),
    );
    expect(decoded.bytes.get(1)?.toString('utf8')).toBe('héllo');
  });

  it('refuses a frame whose length runs past the body', () => {
    const frame = grpcFrame(bytesField(1, 'hello'));
    expect(() => decodeFirstFrame(frame.subarray(0, frame.length - 1))).toThrow('truncated');
  });
});
