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

describe('the tutorial server', () => {
  let server: RunningServer;
  let greeter: GreeterClient;
  let stream: StreamServiceClient;

  beforeAll(async () => {
    server = await startServer('tutorial');
    greeter = new GreeterClient(server.target, credentials.createInsecure());
    stream = new StreamServiceClient(server.target, credentials.createInsecure());
  });

  afterAll(async () => {
    greeter.close();
    stream.close();
    await server.stop();
  });

  it('greets a name the way helloworld servers do', async () => {
    await expect(sayHello(greeter, 'Ada')).resolves.toEqual({ message: 'Hello Ada' });
  });

  it('streams count messages with their index, the text and payload_bytes of filler', async () => {
    const { received, error } = await getStream(stream, { text: 'hi', count: 3, payloadBytes: 4 });
    expect(error).toBeUndefined();
    expect(received).toEqual([1, 2, 3].map((index) => ({ index, text: 'hi', payload: Buffer.from('....') })));
  });

  it('delivers every message of a stream larger than the transport buffers, in order', async () => {
    // 32 MiB: write() returns false long before the end, so the handler has waited for 'drain'.
    const { received, error } = await getStream(stream, { count: 32, payloadBytes: 1024 * 1024 });
    expect(error).toBeUndefined();
    expect(received.map(({ index }) => index)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(received.every(({ payload }) => payload.length === 1024 * 1024)).toBe(true);
  });

  it('summarises an upload with the count, the UTF-8 bytes and a preview like our service', async () => {
    const texts = ['one', 'two', 'three', 'four', 'a text much longer than twenty-four characters'];
    await expect(putStream(stream, texts)).resolves.toEqual({
      count: 5,
      bytes: texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0),
      preview: 'one, two, three, …, a text much longer than…',
    });
  });

  it('greets every name of a bidirectional stream itself, naming its process', async () => {
    const call = stream.allStream({ deadline: Date.now() + 5_000 });
    call.write({ name: 'Ada' });
    call.write({ name: 'Grace' });
    call.end();
    const { received, error } = await drain(call);
    expect(error).toBeUndefined();
    expect(received.map(({ message }) => message)).toEqual(['Hello Ada', 'Hello Grace']);
    expect(received[0]?.servedBy).toMatch(new RegExp(`/${server.pid}$`));
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
  let server: RunningServer;
  let greeter: GreeterClient;
  let stream: StreamServiceClient;

  beforeAll(async () => {
    server = await startServer('ceiling');
    greeter = new GreeterClient(server.target, credentials.createInsecure());
    stream = new StreamServiceClient(server.target, credentials.createInsecure());
  });

  afterAll(async () => {
    greeter.close();
    stream.close();
    await server.stop();
  });

  it('answers SayHello with a HelloReply that grpc-js decodes, whatever the name', async () => {
    await expect(sayHello(greeter, 'world')).resolves.toEqual({ message: 'Hello world' });
    await expect(sayHello(greeter, 'Ada')).resolves.toEqual({ message: 'Hello world' });
  });

  it('streams count messages with their index, the text and payload_bytes of filler', async () => {
    const { received, error } = await getStream(stream, { text: 'hi', count: 3, payloadBytes: 4 });
    expect(error).toBeUndefined();
    expect(received).toEqual([1, 2, 3].map((index) => ({ index, text: 'hi', payload: Buffer.from('....') })));
  });

  it('delivers every message of a stream larger than the transport buffers, in order', async () => {
    const { received, error } = await getStream(stream, { count: 32, payloadBytes: 1024 * 1024 });
    expect(error).toBeUndefined();
    expect(received.map(({ index }) => index)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(received.every(({ payload }) => payload.length === 1024 * 1024)).toBe(true);
  });

  it('answers UNIMPLEMENTED for a method it does not serve', async () => {
    const err = await putStream(stream, ['a']).catch((e: ServiceError) => e);
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
