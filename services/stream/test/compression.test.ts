import { once } from 'node:events';
import { connect } from 'node:http2';
import { createGzip } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import type { Compression } from '@repo/client-kit';
import { PutStreamRequest } from '@repo/proto';
import { StreamClient } from '@repo/stream-client';
import {
  closedAddress,
  FaultRelay,
  grpcFrame,
  grpcRequestHeaders,
  rawGrpcCall,
  type ServiceProcess,
  spawnService,
  textOfWords,
  within,
} from '@repo/test-kit';
import { PUT_STREAM, STREAM_MAIN } from './support/servers';

// Compressed requests against the built stream service in a process of its own: what they cost
// on a real connection (counted by a TCP relay), and that MAX_RECEIVE_MESSAGE_BYTES bounds what
// a message may inflate to, so a small compressed message cannot make the server allocate much.
const KiB = 1024;
const MiB = 1024 * KiB;

jest.setTimeout(30_000);

let service: ServiceProcess;
let relay: FaultRelay;

beforeAll(async () => {
  service = await spawnService(STREAM_MAIN, { GREETER_ADDR: await closedAddress() });
});

afterAll(async () => {
  expect(await service.stop()).toBe(0);
});

beforeEach(async () => {
  relay = await FaultRelay.start(service.target);
});

afterEach(async () => {
  await relay.close();
});

/** Uploads 1 MiB of prose in 16 PutStream messages of 64 KiB through the relay; the bytes each way. */
async function upload(compression: Compression) {
  const client = new StreamClient({ target: relay.target, compression });
  try {
    // grpc-js compresses each message on its own: sixteen equal texts gain nothing from each other.
    const texts = Array.from({ length: 16 }, () => textOfWords(64 * KiB));
    const summary = await client.putStream(texts, { timeoutMs: 10_000 });
    return { summary, up: relay.bytesToTarget, down: relay.bytesFromTarget };
  } finally {
    client.close();
  }
}

describe('a compressed PutStream', () => {
  it('carries 1 MiB of text in under 40% of the bytes, and the server reads every byte of it', async () => {
    const plain = await upload('identity');
    relay.bytesToTarget = relay.bytesFromTarget = 0;
    const gzip = await upload('gzip');

    // The server decompressed all of it: the same count and size as the plain upload.
    expect(gzip.summary).toEqual(plain.summary);
    expect(gzip.summary).toMatchObject({ count: 16, bytes: MiB });
    expect(plain.up).toBeGreaterThan(MiB);
    // Prose gzips to about a third; the rest is HTTP/2 and gRPC framing, the same both ways.
    expect(gzip.up).toBeLessThan(0.4 * plain.up);
  });
});

/** `size` zero bytes, gzipped as a stream (the whole never sits in memory): a decompression bomb. */
async function gzipBomb(size: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const zeros = Buffer.alloc(MiB);
  for (let written = 0; written < size; written += zeros.length) {
    if (!gzip.write(zeros)) await once(gzip, 'drain');
  }
  gzip.end();
  await once(gzip, 'end');
  return Buffer.concat(chunks);
}

describe('a message that inflates past MAX_RECEIVE_MESSAGE_BYTES (4 MiB)', () => {
  it('ends with RESOURCE_EXHAUSTED, eight at once, without the server holding what they inflate to', async () => {
    // A PutStreamRequest whose text is 256 MiB of NULs, gzipped to about 250 KiB: under every
    // limit as sent, 64 times the limit once inflated.
    const inflated = 256 * MiB;
    const bomb = await gzipBomb(inflated);
    expect(bomb.length).toBeLessThan(MiB);
    const before = (await service.stats()).rss;

    const session = connect(`http://${service.target}`);
    session.on('error', () => {});
    try {
      const outcomes = await within(
        Promise.all(
          Array.from({ length: 8 }, () =>
            rawGrpcCall(session, {
              headers: grpcRequestHeaders(PUT_STREAM, { 'grpc-encoding': 'gzip' }),
              body: grpcFrame(bomb, { flag: 1 }),
              timeoutMs: 20_000,
            }),
          ),
        ),
        25_000,
        'the answers to eight bombs',
      );
      for (const outcome of outcomes) {
        expect(outcome.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
        expect(outcome.grpcMessage).toBe('Received message that decompresses to a size larger than 4194304');
      }
    } finally {
      session.close();
    }
    // Eight bombs would be 2 GiB inflated; the server stopped each at 4 MiB and let go of it.
    expect((await service.stats()).rss - before).toBeLessThan(64 * MiB);

    // And it serves the next call, compressed or not.
    const client = new StreamClient({ target: service.target, compression: 'gzip' });
    try {
      await expect(client.putStream(['still', 'here'], { timeoutMs: 5_000 })).resolves.toMatchObject({
        count: 2,
      });
    } finally {
      client.close();
    }
  });

  it('is measured after decompression: 5 MiB of text gzipped to under 2 MiB is refused', async () => {
    const request = PutStreamRequest.encode({ text: textOfWords(5 * MiB) }).finish();
    const compressed = await gzipped(request);
    // As sent, the message is under the limit: only its inflated size is over.
    expect(compressed.length).toBeLessThan(2 * MiB);

    const outcome = await rawGrpcCall(service.target, {
      headers: grpcRequestHeaders(PUT_STREAM, { 'grpc-encoding': 'gzip' }),
      body: grpcFrame(compressed, { flag: 1 }),
    });

    expect(outcome.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
    expect(outcome.grpcMessage).toBe('Received message that decompresses to a size larger than 4194304');
  });
});

/** `bytes`, gzipped. */
async function gzipped(bytes: Uint8Array): Promise<Buffer> {
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  gzip.end(bytes);
  await once(gzip, 'end');
  return Buffer.concat(chunks);
}
