import { request } from 'node:http';
import { closedAddress, spawnService } from '@repo/test-kit';
import { GATEWAY_MAIN, type Stack, startStack } from './support/stack';

jest.setTimeout(60_000);

const MAX_BODY = 64 * 1024;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ MAX_RECEIVE_MESSAGE_BYTES: String(MAX_BODY), CORS_ORIGINS: 'http://page.test' });
});

afterAll(async () => {
  await stack?.stop();
});

const sayHello = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`${stack.url}/helloworld.Greeter/SayHello`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

async function stillServes(): Promise<void> {
  const response = await sayHello('{"name":"still"}');
  expect(await response.json()).toEqual({ message: 'Hello still' });
}

describe('hostile input', () => {
  it('refuses a body over MAX_RECEIVE_MESSAGE_BYTES with resource_exhausted, memory bounded', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(8 * 1024 * 1024) });
    for (let i = 0; i < 10; i++) {
      const response = await sayHello(big);
      const body = (await response.json()) as { code: string };
      expect(response.status).toBe(429);
      expect(body.code).toBe('resource_exhausted');
    }
    const { heapUsed, rss } = await stack.gateway.stats();
    // 80 MiB were sent: a gateway that buffered them would hold far more than this.
    expect(heapUsed).toBeLessThan(48 * 1024 * 1024);
    expect(rss).toBeLessThan(200 * 1024 * 1024);
    await stillServes();
  });

  it('answers malformed JSON with invalid_argument', async () => {
    const response = await sayHello('{"name": ');
    const body = (await response.json()) as { code: string };

    expect(response.status).toBe(400);
    expect(body.code).toBe('invalid_argument');
    await stillServes();
  });

  it('answers a gRPC-Web frame that lies about its length with an error status', async () => {
    // A frame header announcing 100 bytes, followed by 3.
    const frame = Buffer.from([0, 0, 0, 0, 100, 1, 2, 3]);
    const response = await fetch(`${stack.url}/helloworld.Greeter/SayHello`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' },
      body: frame,
    });
    const text = Buffer.from(await response.arrayBuffer()).toString('latin1');
    const grpcStatus = response.headers.get('grpc-status') ?? /grpc-status:\s*(\d+)/.exec(text)?.[1];

    expect(grpcStatus).toBeDefined();
    expect(grpcStatus).not.toBe('0');
    await stillServes();
  });

  it('answers an unknown route with 404, and logs it with its request id', async () => {
    const response = await fetch(`${stack.url}/no.such.Service/Method`, { method: 'POST', body: '{}' });

    expect(response.status).toBe(404);
    const id = response.headers.get('x-request-id');
    await stack.gateway.waitForLog((line) => line.msg === 'refused' && line.requestId === id);
    await stillServes();
  });

  it('closes a connection that sends nothing but keeps serving the others', async () => {
    const idle = request({ host: '127.0.0.1', port: stack.gateway.port, method: 'POST', path: '/' });
    idle.on('error', () => {});
    idle.flushHeaders();
    await stillServes();
    idle.destroy();
  });
});

describe('CORS', () => {
  it('answers a preflight from a listed origin, with the headers the page reads exposed', async () => {
    const response = await fetch(`${stack.url}/helloworld.Greeter/SayHello`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://page.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,connect-protocol-version',
      },
    });

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://page.test');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('access-control-allow-headers')).toMatch(/connect-protocol-version/i);
    const call = await sayHello('{"name":"Cors"}', { origin: 'http://page.test' });
    expect(call.headers.get('access-control-expose-headers')).toMatch(/x-served-by/);
  });

  it('refuses a preflight from another origin', async () => {
    const response = await fetch(`${stack.url}/helloworld.Greeter/SayHello`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
    });

    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('health and shutdown', () => {
  it('is alive and ready while its backends serve', async () => {
    const alive = await fetch(`${stack.url}/healthz`);
    const ready = await fetch(`${stack.url}/readyz`);

    expect(alive.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      backends: { 'helloworld.Greeter': 'SERVING', 'stream.v1.StreamService': 'SERVING' },
    });
  });

  it('is alive but not ready without its backends, and stops on SIGTERM with exit code 0', async () => {
    const nowhere = await closedAddress();
    const gateway = await spawnService(GATEWAY_MAIN, { GREETER_ADDR: nowhere, STREAM_ADDR: nowhere });
    try {
      const base = `http://${gateway.target}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      const call = await fetch(`${base}/helloworld.Greeter/SayHello`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"Ada"}',
      });
      expect(((await call.json()) as { code: string }).code).toBe('unavailable');
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
    await gateway.waitForLog((line) => line.msg === 'shut down');
  });
});
