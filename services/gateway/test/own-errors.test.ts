import { type Stack, startStack } from './support/stack';

// The errors the gateway answers itself carry the details a service sends for the same case.
jest.setTimeout(60_000);

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ MAX_RUNNING_HANDLERS: '1' });
});

afterAll(async () => {
  await stack?.stop();
});

/** One Connect envelope: flags 0, the length, then the JSON. */
function envelope(json: string): Buffer {
  const message = Buffer.from(json);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

describe('the gateway’s own errors', () => {
  it('answers a call over MAX_RUNNING_HANDLERS with resource_exhausted, SERVER_BUSY and a RetryInfo', async () => {
    // A slow server stream holds the one slot.
    const holder = new AbortController();
    const held = await fetch(`${stack.url}/stream.v1.StreamService/GetStream`, {
      method: 'POST',
      headers: { 'content-type': 'application/connect+json' },
      body: envelope('{"text":"hold","count":100,"intervalMs":100}'),
      signal: holder.signal,
    });
    expect(held.status).toBe(200);
    try {
      const response = await fetch(`${stack.url}/helloworld.Greeter/SayHello`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"Ada"}',
      });
      expect(response.status).toBe(429);
      expect(await response.json()).toMatchObject({
        code: 'resource_exhausted',
        details: [
          { type: 'google.rpc.ErrorInfo', debug: { reason: 'SERVER_BUSY', domain: 'helloworld.Greeter' } },
          { type: 'google.rpc.RetryInfo', debug: { retryDelay: '1s' } },
        ],
      });
    } finally {
      holder.abort();
    }
  });
});
