import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from '@connectrpc/connect-node';
import { credentials, type Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { GreeterClient, Status, StreamServiceClient } from '@repo/proto';
import { greeterClient, type Stack, startStack, streamClient } from './support/stack';

jest.setTimeout(60_000);

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('Connect with JSON, as curl sends it', () => {
  it('answers SayHello {"name":"Ada"} with {"message":"Hello Ada"} and the replica that served it', async () => {
    const response = await post('/helloworld.Greeter/SayHello', '{"name":"Ada"}');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Hello Ada' });
    expect(response.headers.get('x-served-by')).toMatch(new RegExp(`/${stack.greeter.child.pid}$`));
  });

  it('works with the curl command of the README', async () => {
    const curl = await promisify(execFile)('curl', [
      '-sS',
      '-d',
      '{"name":"Ada"}',
      '-H',
      'content-type: application/json',
      `${stack.url}/helloworld.Greeter/SayHello`,
    ]).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (curl === undefined) {
      process.stderr.write('curl is not installed: the same call is made with fetch above\n');
      return;
    }
    expect(JSON.parse(curl.stdout)).toEqual({ message: 'Hello Ada' });
  });

  it('answers an empty name with HTTP 400 and the backend details, as the Greeter sends them', async () => {
    const direct = await new Promise<ServiceError>((resolve) => {
      const client = new GreeterClient(stack.greeter.target, credentials.createInsecure());
      client.sayHello({ name: '' }, (err) => {
        client.close();
        if (err) resolve(err);
      });
    });
    const [detailsBin] = direct.metadata.get('grpc-status-details-bin');
    const expected = Status.decode(detailsBin as Buffer).details;

    const response = await post('/helloworld.Greeter/SayHello', '{"name":""}');
    const body = (await response.json()) as {
      code: string;
      message: string;
      details: { type: string; value: string; debug?: unknown }[];
    };

    expect(response.status).toBe(400);
    expect(body.code).toBe('invalid_argument');
    expect(body.message).toBe(direct.details);
    // Every detail byte for byte, its type named as Connect names it.
    expect(body.details.map(({ type, value }) => ({ type, value: Buffer.from(value, 'base64') }))).toEqual(
      expected.map(({ typeUrl, value }) => ({ type: typeUrl.replace('type.googleapis.com/', ''), value })),
    );
    // And readable as JSON: the field and what is wrong with it, and the stable reason.
    expect(body.details).toContainEqual(
      expect.objectContaining({
        type: 'google.rpc.BadRequest',
        debug: {
          fieldViolations: [expect.objectContaining({ field: 'name', description: 'must not be empty' })],
        },
      }),
    );
    expect(body.details).toContainEqual(
      expect.objectContaining({
        type: 'google.rpc.ErrorInfo',
        debug: expect.objectContaining({ reason: 'NAME_EMPTY' }),
      }),
    );
  });

  it('carries x-request-id to the backend, and back', async () => {
    const response = await post('/helloworld.Greeter/SayHello', '{"name":"Id"}', {
      'x-request-id': 'gw-test-42',
    });

    expect(response.headers.get('x-request-id')).toBe('gw-test-42');
    await stack.greeter.waitForLog((line) => line.msg === 'call' && line.requestId === 'gw-test-42');
    await stack.gateway.waitForLog((line) => line.msg === 'call' && line.requestId === 'gw-test-42');
  });

  it('gives a call without x-request-id a new one, the same at the gateway and the backend', async () => {
    const response = await post('/helloworld.Greeter/SayHello', '{"name":"NoId"}');
    const id = response.headers.get('x-request-id') ?? '';

    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await stack.greeter.waitForLog((line) => line.msg === 'call' && line.requestId === id);
  });

  it('refuses bidirectional streaming over HTTP/1.1 with a reason', async () => {
    const response = await fetch(`${stack.url}/stream.v1.StreamService/AllStream`, {
      method: 'POST',
      headers: { 'content-type': 'application/connect+json' },
      body: new Uint8Array(0),
    });
    const body = (await response.json()) as { code: string; message: string };

    expect(response.status).toBe(505);
    expect(body.code).toBe('unimplemented');
    expect(body.message).toContain('needs HTTP/2');
  });
});

describe('Connect streaming', () => {
  it('delivers a server stream message by message, as the backend sends them', async () => {
    const client = streamClient(createConnectTransport({ baseUrl: stack.url, httpVersion: '1.1' }));
    const arrivals: number[] = [];
    const indexes: number[] = [];
    for await (const message of client.getStream({ text: 'tick', count: 4, intervalMs: 300 })) {
      arrivals.push(performance.now());
      indexes.push(message.index);
    }

    expect(indexes).toEqual([1, 2, 3, 4]);
    // Batched, they would arrive together at the end; streamed, about 300 ms apart.
    for (let i = 1; i < arrivals.length; i++) {
      expect((arrivals[i] ?? 0) - (arrivals[i - 1] ?? 0)).toBeGreaterThan(200);
    }
  });

  it('runs client and bidirectional streams over HTTP/2', async () => {
    const client = streamClient(createConnectTransport({ baseUrl: stack.url, httpVersion: '2' }));
    async function* names() {
      yield { name: 'Ada' };
      yield { name: 'Grace' };
    }
    const replies: string[] = [];
    for await (const reply of client.allStream(names())) {
      replies.push(reply.message);
      expect(reply.servedBy).toMatch(new RegExp(`/${stack.greeter.child.pid}$`));
    }
    const summary = await client.putStream(
      (async function* () {
        yield { text: 'alpha' };
        yield { text: 'beta' };
      })(),
    );

    expect(replies).toEqual(['Hello Ada', 'Hello Grace']);
    expect(summary.count).toBe(2);
  });

  it('passes the caller deadline on: DEADLINE_EXCEEDED, and the backend saw it', async () => {
    const client = streamClient(createConnectTransport({ baseUrl: stack.url, httpVersion: '1.1' }));
    const received: unknown[] = [];
    const error = await (async () => {
      try {
        for await (const message of client.getStream(
          { text: 'slow', count: 5, intervalMs: 1_000 },
          { timeoutMs: 400, headers: { 'x-request-id': 'gw-deadline' } },
        ))
          received.push(message);
      } catch (err: unknown) {
        return err;
      }
      return undefined;
    })();

    expect(ConnectError.from(error).code).toBe(Code.DeadlineExceeded);
    expect(received).toHaveLength(1);
    const backend = await stack.stream.waitForLog(
      (line) => line.msg === 'call' && line.requestId === 'gw-deadline',
    );
    expect(backend.code).toBe('DEADLINE_EXCEEDED');
  });

  it('cancels the backend call when the caller goes away', async () => {
    const controller = new AbortController();
    const response = await fetch(`${stack.url}/stream.v1.StreamService/GetStream`, {
      method: 'POST',
      headers: { 'content-type': 'application/connect+json', 'x-request-id': 'gw-abort' },
      body: envelope({ text: 'long', count: 100, intervalMs: 200 }),
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();

    const backend = await stack.stream.waitForLog(
      (line) => line.msg === 'call' && line.requestId === 'gw-abort',
    );
    expect(backend.code).toBe('CANCELLED');
    expect(Number(backend.durationMs)).toBeLessThan(5_000);
  });
});

describe('gRPC-Web and gRPC through the gateway', () => {
  it('answers a gRPC-Web call', async () => {
    const client = greeterClient(createGrpcWebTransport({ baseUrl: stack.url, httpVersion: '1.1' }));
    const reply = await client.sayHello({ name: 'Web' });

    expect(reply.message).toBe('Hello Web');
  });

  it('answers a gRPC call from Connect gRPC transport with the backend error code', async () => {
    const client = greeterClient(createGrpcTransport({ baseUrl: stack.url }));

    await expect(client.sayHello({ name: '' })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it('serves grpc-js clients: unary with x-served-by, and a bidirectional stream', async () => {
    const greeter = new GreeterClient(stack.gateway.target, credentials.createInsecure());
    const stream = new StreamServiceClient(stack.gateway.target, credentials.createInsecure());
    try {
      const servedBy = await new Promise<string>((resolve, reject) => {
        const call = greeter.sayHello({ name: 'Grpc' }, (err, reply) => {
          if (err) reject(err);
          else expect(reply.message).toBe('Hello Grpc');
        });
        call.on('metadata', (metadata: Metadata) => resolve(String(metadata.get('x-served-by')[0])));
      });
      expect(servedBy).toMatch(new RegExp(`/${stack.greeter.child.pid}$`));

      const call = stream.allStream();
      const replies: string[] = [];
      call.on('data', (reply: { message: string }) => replies.push(reply.message));
      call.write({ name: 'Linus' });
      call.end();
      const ended = await new Promise<{ code: number }>((resolve) => call.on('status', resolve));
      expect(ended.code).toBe(status.OK);
      expect(replies).toEqual(['Hello Linus']);
    } finally {
      greeter.close();
      stream.close();
    }
  });
});

/** One Connect streaming envelope holding a JSON message. */
function envelope(message: unknown): Uint8Array {
  const json = Buffer.from(JSON.stringify(message));
  const frame = Buffer.alloc(5 + json.length);
  frame.writeUInt32BE(json.length, 1);
  json.copy(frame, 5);
  return frame;
}
