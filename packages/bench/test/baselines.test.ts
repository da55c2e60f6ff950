import { setTimeout } from 'node:timers/promises';
import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  type GetStreamRequest,
  GreeterClient,
  type HelloReply,
  type PutStreamResponse,
  StreamServiceClient,
} from '@repo/proto';
import { drain } from '@repo/test-kit';
import { type ContenderName, type RunningServer, startServer } from '../src/servers';

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
function serve(name: ContenderName) {
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

  it('ends a stream cancelled while the handler waits for drain, and serves the next one', async () => {
    // 6 GiB if it were all sent: the transport buffers fill long before, with nothing read.
    const call = clients.stream.getStream({ text: 'x', count: 100_000, intervalMs: 0, payloadBytes: 65_536 });
    call.on('error', () => {});
    call.pause();
    await setTimeout(300);
    call.cancel();
    const { received, error } = await getStream(clients.stream, { count: 2 });
    expect(error).toBeUndefined();
    expect(received).toHaveLength(2);
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
  const tutorial = serve('tutorial');
  const ours = serve('ours-stream');

  it.each([
    [[]],
    [['a']],
    [['a', 'b', 'c', 'd']],
    [['a', 'b', 'c', 'd', 'e', 'f']],
    [['é'.repeat(30), '😀'.repeat(25), '', 'x'.repeat(24), 'y'.repeat(25)]],
  ])('is what our stream service answers for %j', async (texts: string[]) => {
    expect(await putStream(tutorial.stream, texts)).toEqual(await putStream(ours.stream, texts));
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
