import { once } from 'node:events';
import { connect as connectHttp2 } from 'node:http2';
import { connect as connectTcp } from 'node:net';
import { status } from '@grpc/grpc-js';
import { isCallError } from '@repo/client-kit';
import { StreamClient } from '@repo/stream-client';
import {
  CLIENT_PREFACE,
  rejectionOf,
  type ServiceProcess,
  settingsFrame,
  spawnService,
  within,
} from '@repo/test-kit';
import { STREAM_MAIN } from './support/servers';

// The limits a service reads from its environment (see ServerLimits), each against a stream
// service process of its own. Nothing here needs the Greeter.
const KiB = 1024;
const NO_GREETER = { GREETER_ADDR: '127.0.0.1:1' };

jest.setTimeout(20_000);

const RSS_GROWTH_BOUND = 64 * 1024 * KiB;

let service: ServiceProcess | undefined;
let client: StreamClient | undefined;
let baselineRss = 0;

async function start(
  env: Record<string, string>,
): Promise<{ service: ServiceProcess; client: StreamClient }> {
  service = await spawnService(STREAM_MAIN, { ...NO_GREETER, ...env });
  client = new StreamClient({ target: service.target });
  baselineRss = (await service.stats()).rss;
  return { service, client };
}

afterEach(async () => {
  // Each test has shown the server still serving after its limit was hit; its memory too is bounded.
  if (service) expect((await service.stats()).rss - baselineRss).toBeLessThan(RSS_GROWTH_BOUND);
  client?.close();
  if (service) expect(await service.stop()).toBe(0);
  service = client = undefined;
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

async function codeOf(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  const err = await rejectionOf(promise);
  if (!isCallError(err)) throw err;
  return { code: err.code, details: err.details };
}

describe('MAX_RECEIVE_MESSAGE_BYTES', () => {
  it('ends a call whose request is larger with RESOURCE_EXHAUSTED, and keeps serving', async () => {
    const { client } = await start({ MAX_RECEIVE_MESSAGE_BYTES: String(4 * KiB) });
    const answer = await codeOf(client.putStream(['small', 'x'.repeat(8 * KiB)]));
    expect(answer.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(answer.details).toMatch(/^Received message larger than max \(\d+ vs 4096\)$/);
    await expect(client.putStream(['x'.repeat(3 * KiB)])).resolves.toMatchObject({ count: 1 });
  });
});

describe('MAX_SEND_MESSAGE_BYTES', () => {
  it('ends a stream whose next response would be larger with RESOURCE_EXHAUSTED', async () => {
    const { client } = await start({ MAX_SEND_MESSAGE_BYTES: String(64 * KiB) });
    const answer = await codeOf(collect(client.getStream({ count: 2, payloadBytes: 128 * KiB })));
    expect(answer.code).toBe(status.RESOURCE_EXHAUSTED);
    await expect(collect(client.getStream({ count: 2, payloadBytes: 32 * KiB }))).resolves.toHaveLength(2);
  });
});

describe('MAX_CONCURRENT_STREAMS', () => {
  it('is advertised in the server SETTINGS, so clients queue the calls past it', async () => {
    const { service, client } = await start({ MAX_CONCURRENT_STREAMS: '3' });
    const session = connectHttp2(`http://${service.target}`);
    const [settings] = (await once(session, 'remoteSettings')) as [{ maxConcurrentStreams?: number }];
    session.close();
    expect(settings.maxConcurrentStreams).toBe(3);

    // Ten slow streams over one connection: all complete, never more than three at a time.
    const started = performance.now();
    const streams = Array.from({ length: 10 }, () =>
      collect(client.getStream({ count: 2, intervalMs: 200 })),
    );
    const results = await Promise.all(streams);
    expect(results.every((messages) => messages.length === 2)).toBe(true);
    // 10 streams of 200 ms each, 3 at a time: at least four rounds.
    expect(performance.now() - started).toBeGreaterThan(4 * 200 - 50);
  });
});

describe('KEEPALIVE_TIME_MS and KEEPALIVE_TIMEOUT_MS', () => {
  it('drop a connection whose peer stopped answering pings', async () => {
    const { service, client } = await start({ KEEPALIVE_TIME_MS: '1000', KEEPALIVE_TIMEOUT_MS: '500' });
    // A peer that says hello in HTTP/2 and then goes silent, as a crashed or cut-off host does.
    const socket = connectTcp(service.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(Buffer.concat([CLIENT_PREFACE, settingsFrame()]));
    socket.on('data', () => {});
    const started = performance.now();
    await within(once(socket, 'close'), 5_000, 'the server closing the silent connection');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(4_000);
    await expect(collect(client.getStream({ count: 1 }))).resolves.toHaveLength(1);
  });
});

describe('MAX_CONNECTION_AGE_MS and MAX_CONNECTION_AGE_GRACE_MS', () => {
  it('let a call outlive the age by the grace only, and send new calls to a new connection', async () => {
    const { client } = await start({ MAX_CONNECTION_AGE_MS: '1000', MAX_CONNECTION_AGE_GRACE_MS: '500' });
    // A stream that would take 5 s: cut at about age + grace.
    const started = performance.now();
    const answer = await codeOf(collect(client.getStream({ count: 50, intervalMs: 100 })));
    const elapsed = performance.now() - started;
    expect(answer).toEqual({ code: status.UNAVAILABLE, details: 'Connection dropped' });
    expect(elapsed).toBeGreaterThan(1_000);
    expect(elapsed).toBeLessThan(3_500);
    // A stream that fits in the grace completes, on whatever connection the client has now.
    await expect(collect(client.getStream({ count: 3, intervalMs: 100 }))).resolves.toHaveLength(3);
  });
});
