import { type ClientHttp2Session, connect, constants, type OutgoingHttpHeaders } from 'node:http2';
import { join } from 'node:path';
import { Greeter } from '@repo/greeter-client';
import { HelloRequest } from '@repo/proto';
import {
  dataFrame,
  FrameType,
  grpcFrame,
  grpcRequestFields,
  grpcRequestHeaders,
  grpcStatusOf,
  headerBlock,
  headerFrames,
  RawH2Connection,
  type RawOutcome,
  rawGrpcCall,
  type ServiceProcess,
  spawnService,
} from '@repo/test-kit';
import { expectStillServing } from './support/liveness';

// Metadata is HTTP/2 header fields. What bounds it here is not grpc-js (it has no limit of its
// own on a server) but Node and nghttp2: at most 128 fields per block (Node's
// maxHeaderListPairs), at most 65,536 octets per name or value (nghttp2's HPACK decoder), at
// most 8 CONTINUATION frames per block (nghttp2), and no SETTINGS_MAX_HEADER_LIST_SIZE at all.
const MAIN = join(__dirname, '..', 'dist', 'main.js');
const KiB = 1024;
const MiB = 1024 * KiB;
const RSS_GROWTH_BOUND = 48 * MiB;
const PATH = '/helloworld.Greeter/SayHello';
const HELLO_A = grpcFrame(HelloRequest.encode({ name: 'A' }).finish());
/** The fields of a SayHello request before any metadata: 4 pseudo-headers, content-type, te. */
const REQUEST_FIELDS = grpcRequestFields(PATH);

/** One SayHello on `session` with `metadata` added; resolves with how the stream ended. */
function call(session: ClientHttp2Session, metadata: OutgoingHttpHeaders): Promise<RawOutcome> {
  return rawGrpcCall(session, { headers: grpcRequestHeaders(PATH, metadata), body: HELLO_A });
}

/** `count` metadata headers with short names and values. */
function smallHeaders(count: number): [string, string][] {
  return Array.from({ length: count }, (_, i) => [`x-meta-${i}`, `v${i}`]);
}

/** `count` metadata headers of `valueLength` octets each. */
function paddedHeaders(count: number, valueLength: number): [string, string][] {
  return Array.from({ length: count }, (_, i) => [
    `x-meta-${String(i).padStart(3, '0')}`,
    'a'.repeat(valueLength),
  ]);
}

/** Sends SayHello with `metadata` in raw frames on a new connection (which it returns), and the request's stream id. */
async function rawCall(port: number, metadata: [string, string][]): Promise<[RawH2Connection, number]> {
  const connection = await RawH2Connection.connect(port, {
    [constants.NGHTTP2_SETTINGS_HEADER_TABLE_SIZE]: 0,
  });
  const id = connection.newStreamId();
  await connection.send(
    ...headerFrames(id, headerBlock([...REQUEST_FIELDS, ...metadata])),
    dataFrame(id, HELLO_A, true),
  );
  return [connection, id];
}

jest.setTimeout(20_000);

describe('the Greeter and oversized metadata', () => {
  let service: ServiceProcess;
  let bystander: Greeter;
  let session: ClientHttp2Session;
  let baseline: number;

  beforeAll(async () => {
    service = await spawnService(MAIN, {
      // A connection nghttp2 has given up on stays open until a keepalive ping goes unanswered:
      // 60 s + 20 s by default, 1 s + 1 s here.
      KEEPALIVE_TIME_MS: '1000',
      KEEPALIVE_TIMEOUT_MS: '1000',
    });
    // A well-behaved client whose connection stays open through every attack.
    bystander = new Greeter({ target: service.target });
    await bystander.sayHello('warm-up');
    baseline = (await service.stats()).rss;
  });

  beforeEach(() => {
    session = connect(`http://${service.target}`);
    session.on('error', () => {});
  });

  afterEach(async () => {
    session.close();
    // The bystander's connection did not notice, a new client is served, memory did not follow.
    await expect(bystander.sayHello('bystander', { timeoutMs: 5_000 })).resolves.toMatchObject({
      message: 'Hello bystander',
    });
    await expectStillServing(service, baseline, RSS_GROWTH_BOUND);
  });

  afterAll(async () => {
    bystander.close();
    await service.stop();
  });

  it('answers OK to one 63 KiB metadata value', async () => {
    const during = bystander.sayHello('during');

    await expect(call(session, { 'x-big': 'a'.repeat(63 * KiB) })).resolves.toMatchObject({
      grpcStatus: 0,
      rstCode: 0,
    });
    await expect(during).resolves.toMatchObject({ message: 'Hello during' });
  });

  it('takes 128 header fields and resets a stream with 129 with ENHANCE_YOUR_CALM, keeping the connection', async () => {
    const fieldsBefore = REQUEST_FIELDS.length;

    const at = await call(session, Object.fromEntries(smallHeaders(128 - fieldsBefore)));
    const over = await call(session, Object.fromEntries(smallHeaders(129 - fieldsBefore)));
    const next = await call(session, {});

    expect(at).toMatchObject({ grpcStatus: 0, rstCode: 0 });
    expect(over).toMatchObject({ grpcStatus: undefined, rstCode: constants.NGHTTP2_ENHANCE_YOUR_CALM });
    expect(next).toMatchObject({ grpcStatus: 0, rstCode: 0 });
  });

  it.each([300, 1_000])(
    'resets a stream with %i small metadata headers with ENHANCE_YOUR_CALM, and the connection goes on',
    async (count) => {
      const during = bystander.sayHello('during');

      const answer = await call(session, Object.fromEntries(smallHeaders(count)));
      const next = await call(session, {});

      expect(answer).toMatchObject({ grpcStatus: undefined, rstCode: constants.NGHTTP2_ENHANCE_YOUR_CALM });
      expect(next).toMatchObject({ grpcStatus: 0, rstCode: 0 });
      expect(session.destroyed).toBe(false);
      await expect(during).resolves.toMatchObject({ message: 'Hello during' });
    },
  );

  it('answers OK to a 64 KiB value, the most nghttp2 decodes, sent in HEADERS and 4 CONTINUATION frames', async () => {
    // node:http2 will not send a header block over 64 KiB (maxSendHeaderBlockLength): raw frames.
    const [connection, id] = await rawCall(service.port, [['x-big', 'a'.repeat(64 * KiB)]]);

    const trailers = await connection.waitForEnd(id);
    expect(grpcStatusOf(trailers.payload)).toBe(0);
    connection.destroy();
  });

  it('goes away with COMPRESSION_ERROR from a 1 MiB value, before the call starts', async () => {
    const during = bystander.sayHello('during');

    const [connection, id] = await rawCall(service.port, [['x-big', 'a'.repeat(MiB)]]);

    await connection.waitFor('a GOAWAY', (f) => f.type === FrameType.GOAWAY);
    expect(connection.goaways[0]?.errorCode).toBe(constants.NGHTTP2_COMPRESSION_ERROR);
    expect(connection.framesOn(id)).toEqual([]);
    // nghttp2 reads nothing more; the socket closes when the keepalive ping goes unanswered.
    await connection.waitForClose(5_000);
    await expect(during).resolves.toMatchObject({ message: 'Hello during' });
  });

  it('answers OK to a 143 KiB header block in 9 frames: there is no header list size limit', async () => {
    const [connection, id] = await rawCall(service.port, paddedHeaders(100, 1_450));

    const trailers = await connection.waitForEnd(id);
    expect(grpcStatusOf(trailers.payload)).toBe(0);
    connection.destroy();
  });

  it('closes the connection, GOAWAY INTERNAL_ERROR, on a 158 KiB header block in 10 frames', async () => {
    const during = bystander.sayHello('during');

    const [connection, id] = await rawCall(service.port, paddedHeaders(100, 1_600));

    await connection.waitForClose(2_000);
    expect(connection.goaways).toEqual([
      { errorCode: constants.NGHTTP2_INTERNAL_ERROR, lastStreamId: id, debug: '' },
    ]);
    expect(connection.framesOn(id)).toEqual([]);
    await expect(during).resolves.toMatchObject({ message: 'Hello during' });
  });
});
