import { once } from 'node:events';
import { type ClientHttp2Session, connect } from 'node:http2';
import { GreeterService } from '@repo/proto';
import { TOO_MANY_PINGS } from '../src/ping-policy';
import { startServer, type TestServer } from './support/servers';
import { createTestGreeter } from './support/test-services';

// The ping policy against a server in this process, pinged by a node:http2 client; the Greeter
// process is flooded with pings in services/greeter/test/floods.test.ts.
let running: TestServer | undefined;
let session: ClientHttp2Session | undefined;

afterEach(async () => {
  session?.destroy();
  await running?.server.shutdown(1_000);
  running = session = undefined;
});

/** Pings `count` times, one after the other; resolves with the GOAWAY the server sent, if any. */
async function pingIdle(maxPingStrikes: number, count: number) {
  running = await startServer([{ definition: GreeterService, implementation: createTestGreeter() }], {
    limits: { maxPingStrikes, minPingIntervalMs: 60_000 },
  });
  const client = connect(`http://${running.target}`);
  session = client;
  client.on('error', () => {});
  let goaway: { code: number; data: string } | undefined;
  client.on('goaway', (code: number, _last: number, data?: Buffer) => {
    goaway = { code, data: data?.toString() ?? '' };
  });
  await once(client, 'connect');
  let answered = 0;
  for (let i = 0; i < count && !client.closed && !client.destroyed; i++) {
    const acked = await new Promise<boolean>((resolve) => {
      if (!client.ping((err) => resolve(!err))) resolve(false);
    });
    if (acked) answered++;
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { goaway, answered };
}

describe('the keepalive ping policy', () => {
  it('answers the ping after the strikes allowed with GOAWAY ENHANCE_YOUR_CALM "too_many_pings"', async () => {
    const { goaway } = await pingIdle(1, 5);
    expect(goaway).toEqual({ code: 11, data: TOO_MANY_PINGS });
  });

  it('tolerates any number of pings when KEEPALIVE_MAX_PING_STRIKES is 0, as gRPC does', async () => {
    const { goaway, answered } = await pingIdle(0, 10);
    expect(goaway).toBeUndefined();
    expect(answered).toBe(10);
  });
});
